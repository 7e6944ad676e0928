import type { HistoryRecord } from './history.ts';
import { checkKvRecords, type InitialValue } from './kv-history.ts';
import type { KvOperation } from './kv-model.ts';
import { shrinkWindow, type ShrinkCandidate, type ShrinkSearch } from './shrink.ts';

/**
 * Shrinks the operations of one non-linearizable key to a small window a human can read.
 *
 * A window W is accepted only if it is an honest witness: W failing on its own implies that
 * the whole key history H fails, so it can never show a "violation" that a cut operation
 * explains away. Removing a get is always honest (a get changes no state). A put p outside W
 * is treated by how it is ordered against W in every linearization of H:
 * - p returned before W's first call: it took effect before all of W, so W is checked from
 *   an unknown initial value instead of absent;
 * - p was called after W's last return: it took effect after all of W and is irrelevant;
 * - otherwise p may land in the middle of W, so it stays in the check as a "ghost": a put of
 *   unknown outcome ([call, infinity)), which allows every position p really had and more.
 *   A ghost whose value no get of W returned is dropped (that is exact, see kv-history.ts);
 *   the others are printed with W. Weakening p can only make the check pass more often, so
 *   an Illegal verdict still proves H illegal.
 *
 * The search itself (which windows are tried, in what order) is shrink.ts's.
 */

export interface WindowLimits {
  /** Checks the shrinking may run; when spent, the current (failing) window is returned. */
  maxChecks?: number;
  /** Steps per check; a check that runs out counts as "does not fail", which stays sound. */
  maxStepsPerCheck?: number;
}

export interface FailingWindow {
  /** The window and the ghosts it needs, sorted by call time; Illegal on its own. */
  readonly records: HistoryRecord[];
  /** What the key held before the window: absent if no put was cut from the front. */
  readonly initialValue: InitialValue;
}

interface Item {
  readonly record: HistoryRecord;
  readonly call: number;
  /** The latest time the operation can take effect in H (tightened; Infinity if unknown). */
  readonly returnBound: number;
  readonly isPut: boolean;
}

/**
 * `operations`: one key's operations of a history known to be Illegal from absent, as
 * kvOperationsFromHistory built them; `recordOf` maps them back to the records.
 */
export function findFailingWindow(
  operations: readonly KvOperation[],
  recordOf: ReadonlyMap<KvOperation, HistoryRecord>,
  limits: WindowLimits = {},
): FailingWindow {
  const items = operations
    .map((operation): Item => {
      const record = recordOf.get(operation);
      if (record === undefined) throw new Error('operation without a history record');
      const isPut = operation.input.op === 'put';
      return { record, call: operation.call, returnBound: operation.return, isPut };
    })
    .sort((a, b) => a.call - b.call);
  const search = new WindowSearch(items, limits);
  const everything = items.map((_, index) => index);
  const window = shrinkWindow<Candidate>(search, { indexes: everything, initialValue: 'absent', records: items.map((item) => item.record) });
  return { records: window.records, initialValue: window.initialValue };
}

interface Candidate extends ShrinkCandidate {
  readonly initialValue: InitialValue;
  /** What to print: the window's records and its observed ghosts, by call time. */
  readonly records: HistoryRecord[];
}

const DEFAULT_MAX_CHECKS = 2000;
const DEFAULT_MAX_STEPS_PER_CHECK = 200_000;

class WindowSearch implements ShrinkSearch<Candidate> {
  private checksLeft: number;
  private readonly maxStepsPerCheck: number;

  constructor(
    private readonly items: readonly Item[],
    limits: WindowLimits,
  ) {
    this.checksLeft = limits.maxChecks ?? DEFAULT_MAX_CHECKS;
    this.maxStepsPerCheck = limits.maxStepsPerCheck ?? DEFAULT_MAX_STEPS_PER_CHECK;
  }

  item(index: number): Item {
    const item = this.items[index];
    if (item === undefined) throw new Error(`window index ${index} out of range [0, ${this.items.length})`);
    return item;
  }

  hasChecksLeft(): boolean {
    return this.checksLeft > 0;
  }

  /** The window as a candidate if it fails as an honest witness, else null. */
  accept(indexes: readonly number[]): Candidate | null {
    if (indexes.length === 0 || this.checksLeft <= 0) return null;
    this.checksLeft--;
    const firstCall = this.item(indexes[0] ?? 0).call;
    let lastReturn = -Infinity;
    for (const index of indexes) lastReturn = Math.max(lastReturn, this.item(index).returnBound);
    const inside = new Set(indexes);
    const records = indexes.map((index) => this.item(index).record);
    const ghosts: HistoryRecord[] = [];
    let putBefore = false;
    for (let index = 0; index < this.items.length; index++) {
      const item = this.item(index);
      if (!item.isPut || inside.has(index) || item.call > lastReturn) continue;
      if (item.returnBound < firstCall) putBefore = true;
      else ghosts.push(item.record);
    }
    const initialValue: InitialValue = putBefore ? 'unknown' : 'absent';
    const checked = [...records, ...ghosts.map((ghost) => ({ ...ghost, ok: null, return: null }))];
    const verdict = checkKvRecords(checked, initialValue, { maxSteps: this.maxStepsPerCheck });
    if (verdict !== 'Illegal') return null;
    const read = new Set(records.filter((record) => record.op === 'get').map((record) => record.result ?? null));
    const printed = [...records, ...ghosts.filter((ghost) => read.has(ghost.value ?? null))];
    return { indexes, initialValue, records: printed.sort((a, b) => a.call - b.call) };
  }
}
