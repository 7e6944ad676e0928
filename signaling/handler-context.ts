import type { Logger } from './logger.ts';
import type { Misses } from './misses.ts';
import type { Refuser } from './refuser.ts';
import type { SeatTable } from './seats.ts';
import type { SignalingIo } from './socket-state.ts';

/** What an event handler (join.ts, relay.ts, gateway-handlers.ts) reaches of the server. */
export interface HandlerContext {
  readonly serverId: string;
  readonly logger: Logger;
  readonly io: SignalingIo;
  readonly seats: SeatTable;
  readonly refuser: Refuser;
  readonly misses: Misses;
  /** The deployment's signaling servers, handed to a tab when it joins. */
  serverUrls(): string[];
}
