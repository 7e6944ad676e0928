import type { Message } from './messages.ts';
import type { DurableMark, LocalInput, Timeout } from './ready.ts';
import type { ServerId, ServerState } from './types.ts';

export type ClientRequest = Extract<LocalInput, { kind: 'ClientRequest' }>;

/**
 * What a server does in one state. The server swaps its role in `becomeX` (etcd's `r.step`);
 * each role sees only the peer messages and timeouts the server forwards to it, and only once the
 * server has settled their epoch against the role's (`ZabServer.settleEpoch`).
 */
export interface Role {
  readonly state: ServerState;
  /** Whether clients are served: synced with an established leader, or leading one. */
  readonly serving: boolean;
  readonly leader: ServerId | null;
  /**
   * The epoch this role works in, once known: a peer message of another epoch never reaches the
   * role (NEWEPOCH, which proposes one, and PING, which is answered in its own epoch, aside).
   * Null while none is chosen: a leader in discovery, a follower before NEWEPOCH, a LOOKING server.
   */
  readonly epoch: number | null;
  /** Timers due at the server's current tick. Read-only: the server steps each one as a Timeout. */
  timersDue(): readonly Timeout[];
  /** Any valid message from `peer` shows it alive, whatever its epoch (before the epoch is settled). */
  heard(peer: ServerId): void;
  step(input: Message | Timeout): void;
  onPersisted(mark: DurableMark): void;
  onLinkUp(peer: ServerId): void;
  onLinkDown(peer: ServerId): void;
  /** Only called while `serving`; the request is already validated and registered as pending. */
  handleClientRequest(request: ClientRequest): void;
  /** Sessions of clients attached here were touched (only while serving). */
  touchSessions(sessionIds: readonly string[]): void;
}

/** One Timeout input per timer, shared: ticks allocate nothing. */
export const TIMEOUT: { readonly [T in Timeout['timer']]: Timeout } = {
  election: { kind: 'Timeout', timer: 'election' },
  heartbeat: { kind: 'Timeout', timer: 'heartbeat' },
  initLimit: { kind: 'Timeout', timer: 'initLimit' },
  checkQuorum: { kind: 'Timeout', timer: 'checkQuorum' },
  sessionExpiry: { kind: 'Timeout', timer: 'sessionExpiry' },
  readRetry: { kind: 'Timeout', timer: 'readRetry' },
  leaderSilent: { kind: 'Timeout', timer: 'leaderSilent' },
};

export const NO_TIMERS: readonly Timeout[] = [];

/**
 * RECOVERING: between a role change (or boot) and the reload from storage. Whatever was not
 * durable is gone; the server answers no one and waits for `Recovered`, then goes LOOKING. Election
 * messages that arrive meanwhile are kept for the LOOKING role (ZabServer.defer).
 */
export class RecoveringRole implements Role {
  readonly state = 'RECOVERING';
  readonly serving = false;
  readonly leader = null;
  readonly epoch = null;
  timersDue(): readonly Timeout[] {
    return NO_TIMERS;
  }
  heard(): void {}
  step(): void {}
  onPersisted(): void {}
  onLinkUp(): void {}
  onLinkDown(): void {}
  handleClientRequest(): void {
    throw new Error('RecoveringRole never serves');
  }
  touchSessions(): void {}
}

/** RecoveringRole holds nothing: one instance serves every server, and `role === RECOVERING` is the cheapest test of the state. */
export const RECOVERING: Role = new RecoveringRole();
