import { checkPartition, type SearchLimits } from './checker.ts';
import { explainWindow, type Failure } from './explain.ts';
import type { HistoryRecord } from './history.ts';
import { constrainsKv, kvOperationsFromHistory } from './kv-history.ts';
import { kvModel } from './kv-model.ts';
import type { CheckVerdict } from './model.ts';
import { findFailingWindow, type WindowLimits } from './window.ts';

export interface CheckHistoryOptions extends SearchLimits {
  /** Bounds on shrinking a failure to its window; they never change the verdict. */
  window?: WindowLimits;
}

export interface CheckResult {
  result: CheckVerdict;
  /** Present iff result is 'Illegal'. */
  failure?: Failure;
}

/**
 * Checks a recorded history against the kv register model, one key at a time. On the first
 * illegal key (in order of first appearance) it cuts that key's operations down to a small
 * window that fails on its own and explains it.
 */
export function checkHistory(records: readonly HistoryRecord[], options: CheckHistoryOptions = {}): CheckResult {
  const { operations, recordOf } = kvOperationsFromHistory(records, 'absent');
  let result: CheckVerdict = 'Ok';
  for (const partition of kvModel.partition(operations)) {
    const verdict = checkPartition(kvModel, partition, options);
    if (verdict === 'Unknown') result = 'Unknown';
    if (verdict !== 'Illegal') continue;
    const key = partition[0]?.input.key;
    if (key === undefined) throw new Error('an illegal partition has no operations');
    const window = findFailingWindow(partition, recordOf, options.window);
    const keyRecords = records.filter((record) => record.path === key && constrainsKv(record));
    const explanation = explainWindow(key, window.records, keyRecords);
    return { result: 'Illegal', failure: { key, window: window.records, initialValue: window.initialValue, explanation } };
  }
  return { result };
}
