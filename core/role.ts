import type { Message } from './messages.ts';
import type { DurableMark, LocalInput } from './ready.ts';
import type { ServerId, ServerState } from './types.ts';

export type ClientRequest = Extract<LocalInput, { kind: 'ClientRequest' }>;

/**
 * What a server does in one state. The server swaps its role in `becomeX` (etcd's `r.step`);
 * each role sees only the peer messages and ticks the server forwards to it.
 */
export interface Role {
  readonly state: ServerState;
  /** Whether clients are served: synced with an established leader, or leading one. */
  readonly serving: boolean;
  readonly leader: ServerId | null;
  step(message: Message): void;
  tick(): void;
  onPersisted(mark: DurableMark): void;
  onLinkUp(peer: ServerId): void;
  onLinkDown(peer: ServerId): void;
  /** Only called while `serving`; the request is already validated and registered as pending. */
  handleClientRequest(request: ClientRequest): void;
  /** Sessions of clients attached here were touched (only while serving). */
  touchSessions(sessionIds: readonly string[]): void;
}

/** Between a role change and the reload from storage: the server ignores everything. */
export class RecoveringRole implements Role {
  readonly state = 'LOOKING';
  readonly serving = false;
  readonly leader = null;
  step(): void {}
  tick(): void {}
  onPersisted(): void {}
  onLinkUp(): void {}
  onLinkDown(): void {}
  handleClientRequest(): void {
    throw new Error('RecoveringRole never serves');
  }
  touchSessions(): void {}
}
