import type { Server, Socket } from 'socket.io';
import type { ServerId } from '../core/types.ts';
import type { ClientEventName, ServerToClientEvents } from '../protocol/signaling-events.ts';
import type { MissBudget } from './failure-limit.ts';
import type { TokenBucket } from './rate-limit.ts';

/** The server's own handlers take `unknown`: payloads are untrusted until their schema passes. */
export type UntrustedEvents = { [K in ClientEventName]: (...args: unknown[]) => void };
export type TabSocket = Socket<UntrustedEvents, ServerToClientEvents>;
/** Between the servers of one deployment (through the Redis adapter): a server started or is leaving, so re-read the server directory. */
export interface InterServerEvents {
  'tabkeeper-servers-changed': () => void;
}
export type SignalingIo = Server<UntrustedEvents, ServerToClientEvents, InterServerEvents>;

/** An acknowledgement callback a client passed with its event. */
export type Ack = (reply: unknown) => void;

/** What the server knows of one socket: the seat it holds or the seat it is a gateway client of, and its limits. */
export interface SocketState {
  seat: { readonly cluster: string; readonly seat: ServerId } | null;
  gateway: { readonly cluster: string; readonly seat: ServerId; readonly clientId: string } | null;
  readonly events: TokenBucket;
  /** Characters of relayed JSON. */
  readonly characters: TokenBucket;
  /** Misses of this connection (failure-limit.ts). */
  readonly misses: MissBudget;
  readonly address: string;
  queue: Promise<void>;
  pending: number;
}
