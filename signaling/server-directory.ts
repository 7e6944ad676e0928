import type { RedisConnection } from './redis.ts';
import { mergeUrls } from '../protocol/server-urls.ts';

/**
 * The public URLs of a deployment's live signaling servers, which each server hands to its tabs
 * (join reply, then `signaling-servers` on every change) so that a tab whose server dies moves to
 * another one and keeps its seat.
 *
 * The list is the configured URLs (`--signaling-urls`: for servers behind one name, or servers
 * that cannot reach Redis) plus, in Redis mode, every server's own `--public-url`, published
 * under a key with the same TTL as its liveness mark:
 *
 *   url:<serverId>  string  that server's public URL, expiring `ttlMs` after its last refresh
 *   urls            set     server ids that published one (members whose key expired are removed)
 *
 * A server that dies leaves the list within `ttlMs`; until then a tab that tries it fails to
 * connect and tries the next. Order: configured URLs first, then published ones sorted, so every
 * server hands out the same list.
 */
export interface ServerDirectoryOptions {
  readonly serverId: string;
  /** This server's URL as tabs reach it. */
  readonly publicUrl: string;
  readonly configuredUrls: readonly string[];
  readonly ttlMs: number;
  readonly prefix?: string;
  readonly onChange: (urls: string[]) => void;
  readonly onError: (error: Error) => void;
}

export class ServerDirectory {
  private current: string[];
  private timer: NodeJS.Timeout | null = null;
  private readonly prefix: string;

  private constructor(
    private readonly redis: RedisConnection | null,
    private readonly options: ServerDirectoryOptions,
  ) {
    this.prefix = options.prefix ?? 'tabkeeper:';
    this.current = mergeUrls(options.configuredUrls, [options.publicUrl]);
  }

  /** Publishes this server (Redis mode), reads the others, and refreshes every third of `ttlMs` until `close`. */
  static async open(redis: RedisConnection | null, options: ServerDirectoryOptions): Promise<ServerDirectory> {
    const directory = new ServerDirectory(redis, options);
    if (redis !== null) {
      await directory.refresh();
      directory.timer = setInterval(() => void directory.refresh(), Math.max(100, Math.floor(options.ttlMs / 3)));
      directory.timer.unref();
    }
    return directory;
  }

  /** The URLs as last read. */
  urls(): string[] {
    return [...this.current];
  }

  /** Publishes this server's URL and re-reads everyone's; calls `onChange` if the list changed. */
  async refresh(): Promise<void> {
    const redis = this.redis;
    if (redis === null) return;
    try {
      await redis.set(this.urlKey(this.options.serverId), this.options.publicUrl, { PX: this.options.ttlMs });
      await redis.sAdd(this.indexKey(), this.options.serverId);
      const ids = (await redis.sMembers(this.indexKey())).map(String).sort();
      const values = ids.length === 0 ? [] : await redis.mGet(ids.map((id) => this.urlKey(id)));
      const published: string[] = [];
      const expired: string[] = [];
      ids.forEach((id, index) => {
        const value = values[index];
        if (value === null || value === undefined) expired.push(id);
        else published.push(String(value));
      });
      if (expired.length > 0) await redis.sRem(this.indexKey(), expired);
      const next = mergeUrls(this.options.configuredUrls, published.sort());
      if (next.join('\n') !== this.current.join('\n')) {
        this.current = next;
        this.options.onChange(this.urls());
      }
    } catch (error) {
      this.options.onError(error as Error);
    }
  }

  /** Stops refreshing and withdraws this server's URL, so tabs stop trying it. */
  async close(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    if (this.redis === null) return;
    await this.redis.del(this.urlKey(this.options.serverId)).catch((error: Error) => this.options.onError(error));
    await this.redis.sRem(this.indexKey(), this.options.serverId).catch((error: Error) => this.options.onError(error));
  }

  private urlKey(serverId: string): string {
    return `${this.prefix}url:${serverId}`;
  }

  private indexKey(): string {
    return `${this.prefix}urls`;
  }
}
