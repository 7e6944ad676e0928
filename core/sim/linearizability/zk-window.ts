import { checkPartition } from './checker.ts';
import { shrinkWindow, type ShrinkCandidate, type ShrinkSearch } from './shrink.ts';
import type { WindowLimits } from './window.ts';
import type { ZkHistoryRecord } from './zk-records.ts';
import { FieldSet, footprintOf, zkModel, type ZkOperation } from './zk-model.ts';

/**
 * Shrinks the operations of one non-linearizable partition to a small window a human can read.
 *
 * A window W is accepted only if it is an honest witness: W failing implies that the whole
 * partition H fails. What happens to an operation p of H outside W:
 * - a read, or a write that failed with a definite error, changed nothing: it is dropped;
 * - a write called after every operation of W had returned comes after all of W in every
 *   linearization of H: it is dropped;
 * - any other write (succeeded or unknown) may have taken effect before or among W's
 *   operations, so it stays as a "ghost": its result is no longer checked, only that it ran
 *   somewhere in its own interval ([call, return], or [call, infinity) if it never returned)
 *   with whatever effect the tree gives it there. In every linearization of H, p ran inside
 *   its interval, so that linearization cut down to W and the ghosts is one of the check:
 *   weakening can only turn Illegal into Ok, never the reverse;
 * - except that a ghost whose writes (footprintOf) meet no field that W or a kept ghost
 *   reads is left out: it can change no result there, so that is exact. Without this rule
 *   every write before W would be a ghost. Leaving out a ghost W does need would be wrong:
 *   W could then fail for a trivial reason (a setData of a node whose create was cut).
 * The tree has no "unknown initial state" (the kv window has one), which is why writes before
 * W become ghosts rather than being cut: the ones W needs stay in W or among its ghosts.
 * The window is printed with its ghosts, so what is printed is exactly what was checked.
 *
 * The search itself (which windows are tried, in what order) is shrink.ts's. A check that runs
 * out of steps counts as passing, which keeps every accepted window honest.
 */

export interface ZkWindowLimits extends WindowLimits {
  /**
   * Model steps all the checks of the shrinking may take together; when spent, the current
   * (failing) window is returned. Default: the larger of 1,000,000 and 20 times fullCheckSteps.
   */
  maxTotalSteps?: number;
}

export interface ZkFailingWindow {
  /** The window and the ghosts it is printed with, sorted by call time. Illegal on its own. */
  readonly records: ZkHistoryRecord[];
  /** Those of `records` that were checked only as ghosts. */
  readonly ghosts: ZkHistoryRecord[];
}

const DEFAULT_MAX_CHECKS = 1000;
/**
 * Per check, at least; a window is about as hard as the partition it comes from, so a check
 * may always take twice the steps the partition's own check took.
 */
const DEFAULT_MAX_STEPS_PER_CHECK = 20_000;
const DEFAULT_MAX_TOTAL_STEPS = 1_000_000;

interface Item {
  readonly operation: ZkOperation;
  readonly record: ZkHistoryRecord;
  /** A write that succeeded or may have: the only kind that can explain another result. */
  readonly mayChangeTree: boolean;
}

interface Candidate extends ShrinkCandidate {
  /** The writes outside the window that are checked as ghosts, ascending. */
  readonly ghosts: readonly number[];
}

/**
 * `operations`: one partition known to be Illegal, as zkOperationsFromHistory built them;
 * `recordOf` maps them back to the records; `fullCheckSteps`: the model steps the check that
 * found it Illegal took (countingZkModel), which scales the step bounds.
 */
export function findZkFailingWindow(
  operations: readonly ZkOperation[],
  recordOf: ReadonlyMap<ZkOperation, ZkHistoryRecord>,
  limits: ZkWindowLimits = {},
  fullCheckSteps = 0,
): ZkFailingWindow {
  const items = operations
    .map((operation): Item => {
      const record = recordOf.get(operation);
      if (record === undefined) throw new Error('operation without a history record');
      return { operation, record, mayChangeTree: isWrite(operation) && operation.output.kind !== 'error' };
    })
    .sort((a, b) => a.operation.call - b.operation.call);
  const search = new ZkWindowSearch(items, limits, fullCheckSteps);
  // The whole partition is the starting window: the caller found it Illegal, with no ghosts.
  const window = shrinkWindow<Candidate>(search, { indexes: items.map((_, index) => index), ghosts: [] });
  const records = [...window.indexes, ...window.ghosts].sort((a, b) => a - b).map((index) => search.item(index).record);
  return { records, ghosts: window.ghosts.map((index) => search.item(index).record) };
}

function isWrite(operation: ZkOperation): boolean {
  const op = operation.input.op;
  return op === 'create' || op === 'setData' || op === 'delete';
}

/** The model with a count of its steps, so a check's cost can be measured from outside it. */
export function countingZkModel(): { readonly model: typeof zkModel; readonly steps: () => number } {
  let steps = 0;
  const model: typeof zkModel = {
    ...zkModel,
    step(state, input, output) {
      steps++;
      return zkModel.step(state, input, output);
    },
  };
  return { model, steps: () => steps };
}

class ZkWindowSearch implements ShrinkSearch<Candidate> {
  private checksLeft: number;
  private stepsLeft: number;
  private readonly maxStepsPerCheck: number;
  private readonly counter = countingZkModel();

  constructor(
    private readonly items: readonly Item[],
    limits: ZkWindowLimits,
    fullCheckSteps: number,
  ) {
    this.checksLeft = limits.maxChecks ?? DEFAULT_MAX_CHECKS;
    this.maxStepsPerCheck = Math.max(limits.maxStepsPerCheck ?? DEFAULT_MAX_STEPS_PER_CHECK, 2 * fullCheckSteps);
    this.stepsLeft = limits.maxTotalSteps ?? Math.max(DEFAULT_MAX_TOTAL_STEPS, 20 * fullCheckSteps);
  }

  item(index: number): Item {
    const item = this.items[index];
    if (item === undefined) throw new Error(`window index ${index} out of range [0, ${this.items.length})`);
    return item;
  }

  hasChecksLeft(): boolean {
    return this.checksLeft > 0 && this.stepsLeft > 0;
  }

  /** The window with the ghosts the rules above give it, if that fails; else null. */
  accept(indexes: readonly number[]): Candidate | null {
    if (indexes.length === 0) return null;
    let lastReturn = -Infinity;
    for (const index of indexes) lastReturn = Math.max(lastReturn, this.item(index).operation.return);
    const inside = new Set(indexes);
    const candidates: number[] = [];
    for (let index = 0; index < this.items.length; index++) {
      const item = this.item(index);
      if (item.mayChangeTree && !inside.has(index) && item.operation.call <= lastReturn) candidates.push(index);
    }
    const ghosts = this.relevantGhosts(indexes, candidates);
    return this.fails(indexes, ghosts) ? { indexes, ghosts } : null;
  }

  /** The candidates whose writes meet what the window or another kept ghost reads (a fixpoint). */
  private relevantGhosts(indexes: readonly number[], candidates: readonly number[]): number[] {
    const read = new FieldSet();
    for (const index of indexes) for (const field of footprintOf(this.item(index).operation.input).reads) read.add(field);
    const kept = new Set<number>();
    // Each round keeps at least one more candidate or stops: at most candidates.length rounds.
    for (let changed = true; changed; ) {
      changed = false;
      for (const index of candidates) {
        if (kept.has(index)) continue;
        const footprint = footprintOf(this.item(index).operation.input);
        if (!footprint.writes.some((field) => read.overlaps(field))) continue;
        kept.add(index);
        for (const field of footprint.reads) read.add(field);
        changed = true;
      }
    }
    return candidates.filter((index) => kept.has(index));
  }

  /** Whether the window with these ghosts is Illegal within the step bounds; spends a check. */
  private fails(indexes: readonly number[], ghosts: readonly number[]): boolean {
    if (!this.hasChecksLeft()) return false;
    this.checksLeft--;
    const operations = indexes.map((index) => this.item(index).operation);
    for (const index of ghosts) {
      // Its interval stays: in every linearization of H it took effect (or failed) inside it.
      const operation = this.item(index).operation;
      operations.push({ ...operation, output: { kind: 'unknown' } });
    }
    const before = this.counter.steps();
    const maxSteps = Math.min(this.maxStepsPerCheck, this.stepsLeft);
    const verdict = checkPartition(this.counter.model, operations, { maxSteps });
    this.stepsLeft -= this.counter.steps() - before;
    return verdict === 'Illegal';
  }
}
