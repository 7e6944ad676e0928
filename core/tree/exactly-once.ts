import * as v from 'valibot';
import type { ApplyResult } from '../state-machine.ts';
import type { Json } from '../types.ts';
import { MAX_SESSION_ID_LENGTH } from './limits.ts';
import { compareCodeUnits } from './sessions.ts';

/**
 * Exactly-once writes across failover (issue 10, item 5), which ZooKeeper itself does not offer.
 *
 * A client wraps a write in `{ type: 'once', sessionId, requestNumber, request }`, numbering
 * its writes 1, 2, 3… per session. The replicated state remembers, per live session, the results
 * of its last RESULTS_PER_SESSION numbered writes (in snapshots too, so a server that restores
 * one knows them). A write retried with the same number after a lost connection, on any
 * server, is then applied at most once: the leader prepares it as a `onceReplay` txn, which
 * answers the original result and changes nothing. The leader prepares on its speculative state,
 * so a retry that arrives while the original is still being committed is recognised too.
 *
 * A session's results go when it closes or expires. A numbered write of a session the tree does
 * not hold fails SessionExpired (nothing is remembered for sessions that do not exist).
 */
export const RESULTS_PER_SESSION = 32;

const SessionIdSchema = v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_SESSION_ID_LENGTH));
/** A numbered write's number; the CLI's gateway ops carry one too (cli/gateway-ops.ts). */
export const RequestNumberSchema = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(Number.MAX_SAFE_INTEGER));

export const OnceRequestSchema = v.strictObject({
  type: v.literal('once'),
  sessionId: SessionIdSchema,
  requestNumber: RequestNumberSchema,
  request: v.custom<Json>(() => true),
});
export type OnceRequest = v.InferOutput<typeof OnceRequestSchema>;

/** The txn of a numbered write: the inner write's txn, whose result is remembered. */
export const OnceTxnSchema = v.strictObject({
  type: v.literal('once'),
  sessionId: SessionIdSchema,
  requestNumber: RequestNumberSchema,
  txn: v.custom<Json>(() => true),
});
/** A retried numbered write that was already applied: answers the remembered result. */
export const OnceReplayTxnSchema = v.strictObject({ type: v.literal('onceReplay'), sessionId: SessionIdSchema, requestNumber: RequestNumberSchema });

export function isOnce(op: unknown): op is { type: 'once' } {
  return typeof op === 'object' && op !== null && (op as { type?: unknown }).type === 'once';
}

export function isOnceReplay(op: unknown): op is { type: 'onceReplay' } {
  return typeof op === 'object' && op !== null && (op as { type?: unknown }).type === 'onceReplay';
}

interface Remembered {
  readonly requestNumber: number;
  readonly result: ApplyResult;
}

/** Per session, the results of its last numbered writes, oldest first. */
export class SessionResults {
  private readonly bySession = new Map<string, Remembered[]>();

  find(sessionId: string, requestNumber: number): ApplyResult | null {
    return this.bySession.get(sessionId)?.find((each) => each.requestNumber === requestNumber)?.result ?? null;
  }

  remember(sessionId: string, requestNumber: number, result: ApplyResult): void {
    const list = this.bySession.get(sessionId) ?? [];
    list.push({ requestNumber, result });
    if (list.length > RESULTS_PER_SESSION) list.splice(0, list.length - RESULTS_PER_SESSION);
    this.bySession.set(sessionId, list);
  }

  forget(sessionId: string): void {
    this.bySession.delete(sessionId);
  }

  get size(): number {
    return this.bySession.size;
  }

  /** In session order, for snapshots and digests. */
  toJson(): Json {
    return [...this.bySession.keys()].sort(compareCodeUnits).map((sessionId) => ({
      sessionId,
      results: this.bySession.get(sessionId)!.map(({ requestNumber, result }) => ({ requestNumber, result: result as unknown as Json })),
    }));
  }

  static fromJson(data: Json | undefined): SessionResults {
    const results = new SessionResults();
    const parsed = v.safeParse(SnapshotResultsSchema, data ?? []);
    if (!parsed.success) throw new Error(`malformed data tree snapshot: session results: ${parsed.issues[0].message}`);
    for (const entry of parsed.output) {
      results.bySession.set(entry.sessionId, entry.results.map(({ requestNumber, result }) => ({ requestNumber, result: result as ApplyResult })));
    }
    return results;
  }
}

const SnapshotResultsSchema = v.array(
  v.strictObject({
    sessionId: SessionIdSchema,
    results: v.array(v.strictObject({ requestNumber: RequestNumberSchema, result: v.custom<Json>(() => true) })),
  }),
);
