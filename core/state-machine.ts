import type { Json } from './types.ts';
import type { SessionInfo } from './session-tracker.ts';
import type { Zxid } from './zxid.ts';

/**
 * What applying one txn produced for the client that asked for it. `error` is a ZooKeeper error
 * name (NoNode, BadVersion, ConnectionLoss…); `details` may say more (a multi's per-op results).
 */
export type ApplyResult =
  | { readonly ok: true; readonly value: Json }
  | { readonly ok: false; readonly error: string; readonly details?: Json };

/**
 * What else applying a txn changed, for the server the watching client is attached to (the
 * data tree reports znode events that fire watches). Opaque to the ZAB core.
 */
export type StateEvent = Json;

export interface Applied {
  readonly result: ApplyResult;
  readonly events: readonly StateEvent[];
}

/** What the leader knows when it turns a request into a txn. */
export interface PrepareContext {
  /** The leader's clock when the request is prepared (ms): ZooKeeper's ctime and mtime come from it. */
  readonly timeMs: number;
}

/**
 * The replicated state machine. ZAB delivers the same txns in the same zxid order to every
 * server; `apply` must be deterministic so that equal zxids mean equal states (and equal
 * digests). The ZAB core never looks inside ops or txns.
 *
 * As ZooKeeper's PrepRequestProcessor, the leader turns each client request into a txn with
 * `prepare`, on a speculative copy of the machine that already holds every txn proposed but not
 * yet committed: all decisions that depend on state or time (versions, sequential names, errors,
 * timestamps) are made once, there, so applying the txn everywhere needs nothing but the txn.
 */
export interface StateMachine {
  /** Checks a request at the boundary, before it is forwarded or proposed. Returns an error text or null. */
  validateOp(op: unknown): string | null;
  /** Turns a validated request into the txn to propose (leader only). Failures become txns that carry the error. */
  prepare(op: Json, context: PrepareContext): Json;
  /** Applies one committed txn. Must not throw for a txn `prepare` made: failures are results. */
  apply(txn: Json, zxid: Zxid): Applied;
  /** Answers a read locally, without changing anything (plain reads, not linearizable). */
  query(op: Json): ApplyResult;
  /** The whole state as JSON, never mutated by the machine afterwards. */
  snapshot(): Json;
  /** Replaces the whole state with a snapshot taken by `snapshot()` (here or on another server). */
  restore(data: Json): void;
  /** A short fingerprint of the state; equal states have equal digests. */
  digest(): string;
  /**
   * Client sessions the state holds, for a machine that has them (the data tree): the leader
   * tracks when each was last touched and proposes `expireSessionOp` for those that time out.
   */
  sessions?(): Iterable<SessionInfo>;
  expireSessionOp?(sessionId: string): Json;
}

/** Creates a fresh, empty state machine. Every server of a cluster uses the same factory. */
export type StateMachineFactory = () => StateMachine;
