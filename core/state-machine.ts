import type { Json } from './types.ts';

/** What applying one op produced for the client that asked for it. */
export type ApplyResult = { readonly ok: true; readonly value: Json } | { readonly ok: false; readonly error: string };

/**
 * The replicated state machine. ZAB delivers the same txns in the same zxid order to every
 * server; `apply` must be deterministic so that equal zxids mean equal states (and equal
 * digests). The ZAB core owns one instance and never looks inside `op`.
 */
export interface StateMachine {
  /** Checks an op at the boundary, before it is forwarded or proposed. Returns an error text or null. */
  validateOp(op: unknown): string | null;
  /** Applies one committed op. Must not throw for a valid op: failures are results. */
  apply(op: Json): ApplyResult;
  /** Answers a read locally, without changing anything (plain reads, not linearizable). */
  query(op: Json): ApplyResult;
  /** The whole state as JSON. */
  snapshot(): Json;
  /** Replaces the whole state with a snapshot taken by `snapshot()` (here or on another server). */
  restore(data: Json): void;
  /** A short fingerprint of the state; equal states have equal digests. */
  digest(): string;
}

/** Creates a fresh, empty state machine. Every server of a cluster uses the same factory. */
export type StateMachineFactory = () => StateMachine;
