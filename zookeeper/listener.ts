import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../signaling/logger.ts';
import { ClusterPaths } from './cluster-paths.ts';
import { ZkConnection, type ListenerContext } from './connection.ts';
import { SessionTable } from './session-table.ts';

/**
 * The ZooKeeper listener: a TCP port speaking ZooKeeper's client protocol, which forwards each
 * session's requests to a tab of its cluster through the signaling server's gateway (it is a
 * gateway client like the CLI, one Socket.IO connection per ZooKeeper connection).
 */
export interface ZooKeeperListenerOptions {
  readonly host: string;
  /** 0: any free port. */
  readonly port: number;
  /** The signaling server whose gateway reaches the tabs, e.g. http://127.0.0.1:3000. */
  readonly signalingUrl: string;
  /** Every connection talks to this cluster; null: the first path segment (the connect string's chroot) names it. */
  readonly cluster: string | null;
  readonly key: string | null;
  readonly logger: Logger;
  /** ZooKeeper's jute.maxbuffer: the largest frame accepted (default 0xfffff bytes, ZooKeeper's). */
  readonly maxFrameBytes?: number;
  /** Negotiated timeouts are clamped to these (ZooKeeper's defaults for tickTime 2000: 4 s and 40 s). */
  readonly minSessionTimeoutMs?: number;
  readonly maxSessionTimeoutMs?: number;
  readonly maxConnections?: number;
  readonly attachTimeoutMs?: number;
}

export const DEFAULT_MAX_FRAME_BYTES = 0xfffff;

export class ZooKeeperListener {
  private readonly connections = new Set<ZkConnection>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly logger: Logger,
  ) {}

  static async start(options: ZooKeeperListenerOptions): Promise<ZooKeeperListener> {
    const context: ListenerContext = {
      signalingUrl: options.signalingUrl,
      paths: new ClusterPaths(options.cluster),
      key: options.key,
      sessions: SessionTable.withRandomSecret(),
      logger: options.logger,
      maxFrameBytes: options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
      minSessionTimeoutMs: options.minSessionTimeoutMs ?? 4_000,
      maxSessionTimeoutMs: options.maxSessionTimeoutMs ?? 40_000,
      attachTimeoutMs: options.attachTimeoutMs ?? 8_000,
      live: new Map(),
    };
    const maxConnections = options.maxConnections ?? 1_000;
    const server = createServer({ noDelay: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : options.port;
    const listener = new ZooKeeperListener(server, port, options.logger);
    server.on('connection', (socket: Socket) => listener.accept(socket, context, maxConnections));
    server.on('error', (error) => options.logger.error('zookeeper listener error', { error: error.message }));
    options.logger.info('zookeeper listening', {
      port,
      host: options.host,
      cluster: options.cluster ?? '(chroot: the first path segment)',
      connect: `${options.host === '0.0.0.0' ? '127.0.0.1' : options.host}:${port}${options.cluster === null ? '/<cluster>' : ''}`,
    });
    return listener;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  private accept(socket: Socket, context: ListenerContext, maxConnections: number): void {
    if (this.connections.size >= maxConnections) {
      this.logger.warn('zookeeper connection refused: too many connections', { limit: maxConnections, remote: socket.remoteAddress });
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    const connection = new ZkConnection(socket, context, (closed) => this.connections.delete(closed));
    this.connections.add(connection);
  }

  async close(): Promise<void> {
    for (const connection of [...this.connections]) connection.close('listener closing');
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
