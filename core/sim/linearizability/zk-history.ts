import { checkPartition, type SearchLimits } from './checker.ts';
import type { CheckVerdict } from './model.ts';
import { explainZkWindow, formatZkRecord } from './zk-explain.ts';
import { partitionName, zkModel } from './zk-model.ts';
import { zkOperationsFromHistory, type ZkHistoryRecord } from './zk-records.ts';
import { countingZkModel, findZkFailingWindow, type ZkWindowLimits } from './zk-window.ts';

/**
 * The front door for recorded ZooKeeper histories (zk-records.ts says how a record reads):
 * the verdict, and for an illegal history a small failing window with a one-line reason.
 */

export interface ZkCheckOptions extends SearchLimits {
  /** Bounds on shrinking a failure to its window; they never change the verdict. */
  window?: ZkWindowLimits;
}

/** A non-linearizable partition, cut down to a window that fails on its own. */
export interface ZkFailure {
  /** The top-level node ("/a"), or "/" when the history had to be checked as one. */
  readonly partition: string;
  /** Sorted by call time. Not linearizable on its own (from the empty tree). */
  readonly window: ZkHistoryRecord[];
  /**
   * The writes of `window` the shrinking checked only as "ran somewhere in its interval, with
   * whatever effect the tree gave it", its own result unchecked (the rest of the history
   * around the window, where the window needs it); the window fails even so.
   */
  readonly ghosts: ZkHistoryRecord[];
  /** One line: the partition, and the first result that no order explains in call order. */
  readonly explanation: string;
}

export interface ZkCheckResult {
  result: CheckVerdict;
  /** Present iff result is 'Illegal'. */
  failure?: ZkFailure;
}

/**
 * Checks a recorded history against the ZooKeeper data tree, one top-level subtree at a time.
 * On the first illegal partition (in order of first appearance) it cuts that partition down
 * to a small window that fails on its own and explains it. Throws, naming the record, on a
 * record the model cannot read (another op, a result of the wrong shape, an unknown error).
 */
export function checkZkHistory(records: readonly ZkHistoryRecord[], options: ZkCheckOptions = {}): ZkCheckResult {
  const { operations, recordOf } = zkOperationsFromHistory(records);
  let result: CheckVerdict = 'Ok';
  for (const partition of zkModel.partition(operations)) {
    const counter = countingZkModel();
    const verdict = checkPartition(counter.model, partition, options);
    if (verdict === 'Unknown') result = 'Unknown';
    if (verdict !== 'Illegal') continue;
    const name = partitionName(partition);
    const window = findZkFailingWindow(partition, recordOf, options.window, counter.steps());
    const explanation = explainZkWindow(name, window.records);
    return { result: 'Illegal', failure: { partition: name, window: window.records, ghosts: window.ghosts, explanation } };
  }
  return { result };
}

/** A readable multi-line report: a header, one line per operation by call time, the reason. */
export function formatZkFailure(failure: ZkFailure): string {
  const ghosts = new Set(failure.ghosts);
  const lines = [
    `not linearizable: partition ${JSON.stringify(failure.partition)}, ${failure.window.length} operations from the empty tree, by call time:`,
  ];
  const sorted = [...failure.window].sort((a, b) => a.call - b.call);
  for (const record of sorted) lines.push(`  ${formatZkRecord(record, ghosts.has(record))}`);
  if (ghosts.size > 0) lines.push('  (*: its own result not checked, only that it ran somewhere in its interval)');
  lines.push(failure.explanation);
  return lines.join('\n');
}
