import { checkOperationsTimeout, type SearchLimits } from './checker.ts';
import type { HistoryRecord } from './history.ts';
import { kvModel, kvModelFromAnyValue, type KvOperation, type KvValue } from './kv-model.ts';
import type { CheckVerdict } from './model.ts';

/**
 * Turns recorded client operations into kv-model operations, following the history record's meaning (history.ts):
 * - put ok=true: took effect within [call, return].
 * - put ok=null or return=null: may or may not have taken effect: return = +Infinity.
 * - put ok=false: definitely did not happen: dropped.
 * - get ok=true: returned `result` (missing = null = absent). Any other get constrains
 *   nothing: dropped.
 *
 * Two rewrites of pending puts keep the verdict exactly the same and make the search much
 * cheaper (each pending put otherwise overlaps everything after its call):
 * - A pending put whose value no get returned is dropped. If the history is linearizable
 *   without it, appending it at the very end is a valid linearization with it; if it is
 *   linearizable with it, no get ever read its value, so removing it changes no get's result.
 * - With the absent initial value, a pending put that is the only writer of a non-null value
 *   v must be linearized before every get that returned v, so its return may be tightened to
 *   the earliest such get's return. (Not from an unknown initial value: v could be that.)
 */
export type InitialValue = 'absent' | 'unknown';

export interface KvOperations {
  /** In record order. */
  readonly operations: KvOperation[];
  readonly recordOf: ReadonlyMap<KvOperation, HistoryRecord>;
}

export function kvOperationsFromHistory(
  records: readonly HistoryRecord[],
  initialValue: InitialValue,
): KvOperations {
  const evidence = gatherEvidence(records);
  const operations: KvOperation[] = [];
  const recordOf = new Map<KvOperation, HistoryRecord>();
  records.forEach((record) => {
    const operation = toOperation(record, evidence, initialValue);
    if (operation === null) return;
    operations.push(operation);
    recordOf.set(operation, record);
  });
  return { operations, recordOf };
}

/** Checks kv records of any keys from the given initial value (every key starts with it). */
export function checkKvRecords(
  records: readonly HistoryRecord[],
  initialValue: InitialValue,
  limits: SearchLimits = {},
): CheckVerdict {
  const { operations } = kvOperationsFromHistory(records, initialValue);
  return initialValue === 'absent'
    ? checkOperationsTimeout(kvModel, operations, limits)
    : checkOperationsTimeout(kvModelFromAnyValue, operations, limits);
}

function isPendingPut(record: HistoryRecord): boolean {
  return record.op === 'put' && (record.ok !== true || record.return === null);
}

/** Whether the kv model takes the record into account at all (before the rewrites above). */
export function constrainsKv(record: HistoryRecord): boolean {
  if (record.op === 'put') return record.ok !== false;
  return record.ok === true && record.return !== null;
}

interface Evidence {
  /** key -> value -> earliest return of a successful get that returned it. */
  readonly firstReadReturn: Map<string, Map<KvValue, number>>;
  /** key -> value -> number of puts that may have written it. */
  readonly writerCount: Map<string, Map<KvValue, number>>;
}

function gatherEvidence(records: readonly HistoryRecord[]): Evidence {
  const firstReadReturn = new Map<string, Map<KvValue, number>>();
  const writerCount = new Map<string, Map<KvValue, number>>();
  records.forEach((record, index) => {
    assertKvOperation(record, index);
    if (!constrainsKv(record)) return;
    if (record.op === 'put') {
      const writers = mapFor(writerCount, record.path);
      const value = record.value ?? null;
      writers.set(value, (writers.get(value) ?? 0) + 1);
    } else if (record.return !== null) {
      const reads = mapFor(firstReadReturn, record.path);
      const value = record.result ?? null;
      reads.set(value, Math.min(reads.get(value) ?? Infinity, record.return));
    }
  });
  return { firstReadReturn, writerCount };
}

function toOperation(
  record: HistoryRecord,
  evidence: Evidence,
  initialValue: InitialValue,
): KvOperation | null {
  if (!constrainsKv(record)) return null;
  const base = { clientId: record.client, call: record.call };
  if (record.op === 'get') {
    const result = record.result ?? null;
    return { ...base, input: { op: 'get', key: record.path }, output: { result }, return: record.return ?? Infinity };
  }
  const value = record.value ?? null;
  const input = { op: 'put', key: record.path, value } as const;
  const output = { result: null };
  if (record.ok === true && record.return !== null) return { ...base, input, output, return: record.return };
  const firstRead = evidence.firstReadReturn.get(record.path)?.get(value);
  if (firstRead === undefined) return null;
  const soleWriter = evidence.writerCount.get(record.path)?.get(value) === 1;
  if (initialValue === 'absent' && value !== null && soleWriter) {
    // A get that returned before the put was even called cannot have seen it; clamping keeps
    // the interval valid and the verdict unchanged (that get stays unexplainable).
    return { ...base, input, output, return: Math.max(record.call, firstRead) };
  }
  return { ...base, input, output, return: Infinity };
}

function assertKvOperation(record: HistoryRecord, index: number): void {
  if (record.op !== 'put' && record.op !== 'get') {
    throw new Error(`history record ${index}: the kv model has no operation ${JSON.stringify(record.op)}`);
  }
}

function mapFor<Value>(maps: Map<string, Map<KvValue, Value>>, key: string): Map<KvValue, Value> {
  let map = maps.get(key);
  if (map === undefined) {
    map = new Map();
    maps.set(key, map);
  }
  return map;
}
