import { createClient } from 'redis';
import { backoffMs } from '../lib/backoff.ts';
import { settlesWithin, withTimeout } from '../lib/deadline.ts';
import type { Logger } from './logger.ts';

/**
 * One node-redis client. RESP2: the Socket.IO adapter was written against RESP2 replies, and
 * node-redis 6 would default to RESP3.
 */
function createConnection(url: string) {
  return createClient({
    url,
    RESP: 2,
    disableOfflineQueue: true,
    socket: { reconnectStrategy, connectTimeout: 5_000 },
  });
}

export type RedisConnection = ReturnType<typeof createConnection>;

/** The three connections a server needs in Redis mode: seat table commands, and the adapter's publish and subscribe sides. */
export interface RedisConnections {
  readonly commands: RedisConnection;
  readonly publish: RedisConnection;
  readonly subscribe: RedisConnection;
  close(): Promise<void>;
}

/** How long the first connection may take before the server gives up starting. */
const FIRST_CONNECT_TIMEOUT_MS = 10_000;
/** Longest pause between reconnection attempts once running. */
const RECONNECT_DELAY_MAX_MS = 2_000;
/** Longest polite close of one connection before it is destroyed. */
const CLOSE_TIMEOUT_MS = 2_000;

/**
 * Connects to Redis. Fails (rejects) if Redis cannot be reached within 10 s at start; once
 * connected, a lost connection is retried forever (node-redis re-subscribes by itself). Commands
 * issued while disconnected fail at once instead of queueing (disableOfflineQueue), so a tab's
 * join is refused with `unavailable` rather than left hanging, and shutdown never waits on a
 * Redis that is gone: a client that is not ready is destroyed rather than closed politely.
 */
export async function connectRedis(url: string, logger: Logger): Promise<RedisConnections> {
  const commands = createConnection(url);
  const publish = createConnection(url);
  const subscribe = createConnection(url);
  guardSubscriptions(subscribe);
  guardPublish(publish);
  const all = [commands, publish, subscribe];
  all.forEach((client, index) => {
    const role = ['commands', 'publish', 'subscribe'][index];
    client.on('error', (error: Error) => logger.warn('redis error', { role, error: error.message }));
    client.on('reconnecting', () => logger.info('redis reconnecting', { role }));
  });
  const close = async () => {
    await Promise.allSettled(
      all.map(async (client) => {
        if (!client.isOpen) return;
        if (!client.isReady || !(await settlesWithin(client.close(), CLOSE_TIMEOUT_MS))) client.destroy();
      }),
    );
  };
  try {
    await withTimeout(Promise.all(all.map((client) => client.connect())), FIRST_CONNECT_TIMEOUT_MS, () => {
      throw new Error(`cannot reach Redis at ${redactUrl(url)} within ${FIRST_CONNECT_TIMEOUT_MS} ms`);
    });
  } catch (error) {
    all.forEach((client) => client.destroy());
    throw error;
  }
  return { commands, publish, subscribe, close };
}

/**
 * The Socket.IO Redis adapter (8.3) calls pSubscribe/unsubscribe without handling their
 * promises. While Redis is unreachable those reject, and an unhandled rejection would take the
 * whole server down (for instance during shutdown). Give each returned promise a handler; the
 * caller still sees the same promise, rejection included, if it awaits it.
 */
function guardSubscriptions(client: RedisConnection): void {
  for (const name of ['subscribe', 'unsubscribe', 'pSubscribe', 'pUnsubscribe'] as const) {
    const original = client[name].bind(client) as (...args: unknown[]) => Promise<unknown>;
    (client as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      const promise = original(...args);
      promise.catch(() => {});
      return promise;
    };
  }
}

/**
 * The same for the adapter's publish side: `serverSideEmit` (server.ts tells the other servers
 * when it starts or leaves) publishes without handling the promise, and a Redis that is gone at
 * that moment must not take the server down.
 */
function guardPublish(client: RedisConnection): void {
  const original = client.publish.bind(client) as (...args: unknown[]) => Promise<unknown>;
  (client as unknown as Record<string, unknown>).publish = (...args: unknown[]) => {
    const promise = original(...args);
    promise.catch(() => {});
    return promise;
  };
}

function reconnectStrategy(retries: number): number {
  return backoffMs(retries, { firstMs: 50, maxMs: RECONNECT_DELAY_MAX_MS });
}

/** The URL without its password, for logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}
