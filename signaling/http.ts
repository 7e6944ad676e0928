import { createReadStream, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from './logger.ts';

/**
 * Plain HTTP beside Socket.IO on the same port: `GET /health` as JSON, and in production the
 * built client app (`dist/`) with index.html for unknown extension-less paths (client-side
 * routes). Socket.IO answers `/socket.io/` itself before this handler sees it.
 */

export interface Health {
  readonly status: 'ok' | 'degraded';
  readonly uptimeSeconds: number;
  /** Clusters with at least one live tab (across all servers in Redis mode). */
  readonly rooms: number;
  /** Seats held by live tabs (across all servers in Redis mode). */
  readonly seats: number;
  /** Clusters the seat table remembers, empty ones included (at most --max-clusters). */
  readonly remembered?: number;
  /** Sockets connected to this server. */
  readonly sockets: number;
  /** Seats held by tabs connected to this server. */
  readonly localSeats: number;
  /** The signaling servers this server hands to its tabs. */
  readonly servers: string[];
  readonly redis: boolean;
  readonly serverId: string;
  /** Why the status is degraded (Redis unreachable). */
  readonly error?: string;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

export interface HttpHandlerOptions {
  readonly health: () => Promise<Health>;
  /** Directory of the built app, or null when there is none. */
  readonly staticDir: string | null;
  readonly logger: Logger;
}

export function createHttpHandler(options: HttpHandlerOptions): (request: IncomingMessage, response: ServerResponse) => void {
  const root = options.staticDir === null ? null : resolve(options.staticDir);
  return (request, response) => {
    handleRequest(request, response, options, root).catch((error: unknown) => {
      options.logger.error('http handler failed', { url: request.url, error: (error as Error).message });
      if (!response.headersSent) send(response, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else response.destroy();
    });
  };
}

async function handleRequest(request: IncomingMessage, response: ServerResponse, options: HttpHandlerOptions, root: string | null): Promise<void> {
  const path = pathOf(request.url);
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('Allow', 'GET, HEAD');
    send(response, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
    return;
  }
  if (path === '/health') {
    const health = await options.health();
    send(response, health.status === 'ok' ? 200 : 503, 'application/json; charset=utf-8', `${JSON.stringify(health)}\n`, { 'Cache-Control': 'no-store' });
    return;
  }
  if (root === null) {
    const text =
      path === '/' ? 'TabKeeper signaling server. No client app is built (no dist/ directory); GET /health for status.\n' : 'not found\n';
    send(response, path === '/' ? 200 : 404, 'text/plain; charset=utf-8', text);
    return;
  }
  serveStatic(request, response, root, path);
}

function serveStatic(request: IncomingMessage, response: ServerResponse, root: string, path: string): void {
  const file = resolveStaticFile(root, path);
  if (file === null) {
    send(response, 404, 'text/plain; charset=utf-8', 'not found\n');
    return;
  }
  const headers: Record<string, string | number> = {
    'Content-Type': CONTENT_TYPES[extname(file.path).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': file.size,
    // Vite puts content hashes in asset names, so those may be cached for good; index.html never.
    'Cache-Control': file.path.includes(`${sep}assets${sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
  };
  response.writeHead(200, headers);
  if (request.method === 'HEAD') {
    response.end();
    return;
  }
  createReadStream(file.path)
    .on('error', () => response.destroy())
    .pipe(response);
}

/**
 * Maps a URL path to a file under root, or null. Never leaves root: the path is normalized
 * and checked to stay inside it (`/../etc/passwd`, encoded or not, finds nothing). Paths without
 * an extension that name no file fall back to index.html, as a single-page app expects.
 */
export function resolveStaticFile(root: string, path: string): { path: string; size: number } | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const candidate = normalize(join(root, decoded));
  if (candidate !== root && !candidate.startsWith(root + sep)) return null;
  const direct = fileAt(candidate) ?? fileAt(join(candidate, 'index.html'));
  if (direct !== null) return direct;
  return extname(decoded) === '' ? fileAt(join(root, 'index.html')) : null;
}

function fileAt(path: string): { path: string; size: number } | null {
  try {
    const stats = statSync(path);
    return stats.isFile() ? { path, size: stats.size } : null;
  } catch {
    return null;
  }
}

/** The default static directory: the repository's `dist/`, if it has been built. */
export function defaultStaticDir(): string | null {
  return existingDirectory(fileURLToPath(new URL('../dist/', import.meta.url)));
}

export function existingDirectory(path: string): string | null {
  try {
    return statSync(path).isDirectory() ? path : null;
  } catch {
    return null;
  }
}

function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const query = raw.indexOf('?');
  return query === -1 ? raw : raw.slice(0, query);
}

function send(response: ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}): void {
  response.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), ...extra });
  response.end(response.req.method === 'HEAD' ? undefined : body);
}
