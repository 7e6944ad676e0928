import type { Server as HttpServer } from 'node:http';
import type { Logger } from './logger.ts';
import type { LogThrottle } from './log-throttle.ts';
import { settlesWithin } from '../lib/deadline.ts';
import type { RedisConnections } from './redis.ts';
import type { SeatUpkeep } from './seat-upkeep.ts';
import type { SeatTable } from './seats.ts';
import type { ServerDirectory } from './server-directory.ts';
import type { SignalingIo, SocketState } from './socket-state.ts';

/** Longest wait for one step of shutdown (closing Socket.IO, releasing seats) before moving on. */
const CLOSE_STEP_TIMEOUT_MS = 3_000;

/** What a signaling server closes, in order. */
export interface ClosableParts {
  readonly logger: Logger;
  readonly io: SignalingIo;
  readonly http: HttpServer;
  readonly directory: ServerDirectory | null;
  readonly seats: SeatTable;
  readonly redis: RedisConnections | null;
}

/** What a graceful shutdown also drains first. */
export interface ShutdownParts extends ClosableParts {
  readonly serverId: string;
  readonly sockets: ReadonlyMap<string, SocketState>;
  readonly upkeep: SeatUpkeep;
  readonly throttle: LogThrottle;
  /** Tells the deployment's other servers to re-read the directory. */
  announceServersChanged(): void;
}

/**
 * Graceful shutdown: withdraws the server from the directory, disconnects every local socket and
 * waits for their disconnects to be handled, then closes Socket.IO, HTTP and Redis. The tabs'
 * seats are kept for them (they come back with their seat tokens).
 */
export async function shutDown(parts: ShutdownParts): Promise<void> {
  const { logger } = parts;
  logger.info('shutting down', { sockets: parts.sockets.size });
  parts.upkeep.keepSeats = true;
  // Withdraw this server from the directory first, so the others stop handing it out.
  if (parts.redis !== null && (await settlesWithin(parts.directory?.close() ?? Promise.resolve(), CLOSE_STEP_TIMEOUT_MS))) {
    parts.announceServersChanged();
  }
  // Local only: io.disconnectSockets would reach every server through the Redis adapter.
  parts.io.local.disconnectSockets(true);
  const handled = Promise.allSettled([...parts.sockets.values()].map((state) => state.queue));
  if (!(await settlesWithin(handled, CLOSE_STEP_TIMEOUT_MS))) logger.warn('disconnects not handled in time');
  await closeResources(parts);
  parts.throttle.close();
  logger.info('stopped', { serverId: parts.serverId });
}

/** Closes Socket.IO, HTTP, the directory, the seat table and Redis; never held by a lost Redis. */
export async function closeResources(parts: ClosableParts): Promise<void> {
  // io.close also closes the adapter, which talks to Redis: never let a lost Redis hold shutdown.
  if (!(await settlesWithin(parts.io.close(), CLOSE_STEP_TIMEOUT_MS))) parts.logger.warn('socket.io close timed out');
  parts.http.close();
  parts.http.closeAllConnections();
  await parts.directory?.close();
  await parts.seats.close().catch((error: Error) => parts.logger.warn('seat table close failed', { error: error.message }));
  await parts.redis?.close();
}
