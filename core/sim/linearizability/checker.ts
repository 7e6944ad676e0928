import { Bitset } from './bitset.ts';
import { LinearizationCache } from './cache.ts';
import { NONE, buildEntryList, lift, unlift } from './entries.ts';
import type { CheckVerdict, Model, Operation } from './model.ts';

/**
 * Wing & Gong's linearizability search with Lowe's memoization, as Porcupine runs it
 * (checker.go): walk the call entries in time order, tentatively linearize the first one the
 * model accepts, lift its entries out of the list and restart from the head; on reaching a
 * return entry, the operation it closes can no longer be linearized later, so backtrack.
 */

/** How much search a check may do. There is no wall clock in core/: the bound is in steps. */
export interface SearchLimits {
  /**
   * Upper bound on search steps per partition (key); exceeded means 'Unknown' for it. Per
   * partition, as Porcupine's timeout effectively is (it searches partitions in parallel):
   * one hard key must not hide an illegal key checked after it.
   */
  maxSteps?: number;
  /**
   * Polled every few thousand steps; returning true stops the search with 'Unknown'. A caller
   * with a clock (the browser, a CLI) injects its deadline here.
   */
  shouldStop?: () => boolean;
}

export const DEFAULT_MAX_STEPS = 5_000_000;

/** Rarely enough that a clock read in shouldStop costs nothing, often enough to stop fast. */
const STOP_POLL_INTERVAL_STEPS = 4096;

/** Porcupine's CheckOperations: true iff linearizable. Unbounded, so it always decides. */
export function checkOperations<State, Input, Output>(
  model: Model<State, Input, Output>,
  operations: readonly Operation<Input, Output>[],
): boolean {
  return checkOperationsTimeout(model, operations, { maxSteps: Infinity }) === 'Ok';
}

/** Porcupine's CheckOperationsTimeout, with the timeout expressed as a step budget. */
export function checkOperationsTimeout<State, Input, Output>(
  model: Model<State, Input, Output>,
  operations: readonly Operation<Input, Output>[],
  limits: SearchLimits = {},
): CheckVerdict {
  let verdict: CheckVerdict = 'Ok';
  for (const partition of model.partition(operations)) {
    const partitionVerdict = checkPartition(model, partition, limits);
    // One illegal partition makes the whole history illegal, whatever the others say.
    if (partitionVerdict === 'Illegal') return 'Illegal';
    if (partitionVerdict === 'Unknown') verdict = 'Unknown';
  }
  return verdict;
}

/** Checks one partition as a whole, without partitioning it further. */
export function checkPartition<State, Input, Output>(
  model: Model<State, Input, Output>,
  operations: readonly Operation<Input, Output>[],
  limits: SearchLimits = {},
): CheckVerdict {
  let stepsLeft = limits.maxSteps ?? DEFAULT_MAX_STEPS;
  if (!(stepsLeft >= 0)) throw new Error(`maxSteps must be >= 0, got ${stepsLeft}`);
  const n = operations.length;
  if (n === 0) return 'Ok';
  const list = buildEntryList(operations);
  const { head, next } = list;
  const linearized = new Bitset(n);
  const cache = new LinearizationCache<State>(model);
  // The backtracking stack: which call was linearized, and the state just before it.
  const stackCalls = new Int32Array(n);
  const stackStates: State[] = [];
  let depth = 0;
  let state = model.init();
  let entry = next[head] ?? NONE;
  let pollCountdown = STOP_POLL_INTERVAL_STEPS;

  while ((next[head] ?? NONE) !== NONE) {
    if (stepsLeft <= 0) return 'Unknown';
    stepsLeft--;
    if (--pollCountdown === 0) {
      pollCountdown = STOP_POLL_INTERVAL_STEPS;
      if (limits.shouldStop?.() === true) return 'Unknown';
    }
    // Every call left in the list has its return after it, so the walk meets a return entry
    // before it can fall off the end.
    if (entry === NONE) throw new Error('linearizability search walked off the entry list');

    if (entry < n) {
      const operation = operations[entry];
      if (operation === undefined) throw new Error(`call entry ${entry} has no operation`);
      const stepped = model.step(state, operation.input, operation.output);
      if (stepped.ok) {
        linearized.set(entry);
        if (cache.addIfAbsent(linearized, stepped.state)) {
          stackCalls[depth] = entry;
          stackStates[depth] = state;
          depth++;
          state = stepped.state;
          lift(list, entry);
          entry = next[head] ?? NONE;
          continue;
        }
        // Seen before from an equal state: that subtree is already known to fail.
        linearized.clear(entry);
      }
      entry = next[entry] ?? NONE;
      continue;
    }

    // A return entry: its operation had to be linearized before anything called later.
    if (depth === 0) return 'Illegal';
    depth--;
    const call = stackCalls[depth] ?? NONE;
    // Slot `depth` was written when this call was pushed; the cast only drops the
    // `| undefined` that noUncheckedIndexedAccess adds (State itself may include undefined).
    state = stackStates[depth] as State;
    linearized.clear(call);
    unlift(list, call);
    entry = next[call] ?? NONE;
  }
  return 'Ok';
}
