import type { AppliedTxn } from '../ready.ts';
import type { ApplyResult } from '../state-machine.ts';
import type { Json, ServerId } from '../types.ts';
import type { Zxid } from '../zxid.ts';

/**
 * What a client needs from the server it is attached to. ZabNode provides it; a client never
 * sees the protocol. Callbacks of `request` run synchronously inside the step that settles them,
 * so an answer and the watch events of the same txn arrive in order.
 */
export interface ServerHandle {
  readonly sid: ServerId;
  readonly serving: boolean;
  readonly committedZxid: Zxid;
  readonly stopped: boolean;
  request(type: 'op' | 'sync', op: Json, done: (result: ApplyResult) => void): void;
  query(op: Json): ApplyResult;
  touchSessions(sessionIds: readonly string[]): void;
  hasSession(sessionId: string): boolean;
  onApplied(listener: (applied: AppliedTxn) => void): () => void;
  /** Called whenever `serving` (or `stopped`) changes; returns a function that stops listening. */
  onServingChange(listener: (serving: boolean) => void): () => void;
}
