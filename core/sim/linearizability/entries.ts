import type { Operation } from './model.ts';

/**
 * The history as a doubly linked list of call and return entries in time order, the shape
 * Wing–Gong search walks. Entries are plain indexes into typed arrays rather than objects, so
 * lifting and unlifting in the inner loop allocate nothing.
 *
 * For n operations: entry i (0 <= i < n) is the call of operation i, entry n + i its return,
 * and entry 2n is the head sentinel. NONE ends the list.
 */
export const NONE = -1;

export interface EntryList {
  readonly operationCount: number;
  readonly head: number;
  /** Invariant: next[prev[e]] === e for every entry e in the list. */
  readonly next: Int32Array;
  readonly prev: Int32Array;
}

export function buildEntryList<Input, Output>(operations: readonly Operation<Input, Output>[]): EntryList {
  const n = operations.length;
  const order: number[] = [];
  for (let entry = 0; entry < 2 * n; entry++) order.push(entry);
  const timeOf = (entry: number): number => {
    const operation = operations[entry < n ? entry : entry - n];
    if (operation === undefined) throw new Error(`entry ${entry} has no operation`);
    return entry < n ? operation.call : operation.return;
  };
  for (let i = 0; i < n; i++) assertInterval(operations[i], i);
  order.sort((a, b) => {
    const difference = timeOf(a) - timeOf(b);
    // Infinity - Infinity is NaN: two unknown returns tie, like any other equal times.
    if (difference < 0) return -1;
    if (difference > 0) return 1;
    // Intervals are closed, so at equal times a call goes before a return: the two
    // operations then overlap and may be linearized in either order.
    const aIsCall = a < n;
    const bIsCall = b < n;
    if (aIsCall !== bIsCall) return aIsCall ? -1 : 1;
    return a - b;
  });
  const head = 2 * n;
  const next = new Int32Array(2 * n + 1).fill(NONE);
  const prev = new Int32Array(2 * n + 1).fill(NONE);
  let last = head;
  for (const entry of order) {
    next[last] = entry;
    prev[entry] = last;
    last = entry;
  }
  return { operationCount: n, head, next, prev };
}

function assertInterval<Input, Output>(operation: Operation<Input, Output> | undefined, index: number): void {
  if (operation === undefined) throw new Error(`operation ${index} is missing`);
  if (!Number.isFinite(operation.call)) {
    throw new Error(`operation ${index} has call time ${operation.call}; it must be finite`);
  }
  // NaN fails this comparison too, which is what we want.
  if (!(operation.return >= operation.call)) {
    throw new Error(`operation ${index} returns at ${operation.return}, before its call at ${operation.call}`);
  }
}

/**
 * Takes operation `call`'s call and return entries out of the list. Each keeps its own
 * next/prev, so unlift can put it back (dancing links); lifts must be undone in reverse order.
 */
export function lift(list: EntryList, call: number): void {
  unlink(list, call);
  unlink(list, call + list.operationCount);
}

export function unlift(list: EntryList, call: number): void {
  relink(list, call + list.operationCount);
  relink(list, call);
}

function unlink(list: EntryList, entry: number): void {
  const before = list.prev[entry] ?? NONE;
  const after = list.next[entry] ?? NONE;
  list.next[before] = after;
  if (after !== NONE) list.prev[after] = before;
}

function relink(list: EntryList, entry: number): void {
  const before = list.prev[entry] ?? NONE;
  const after = list.next[entry] ?? NONE;
  list.next[before] = entry;
  if (after !== NONE) list.prev[after] = entry;
}
