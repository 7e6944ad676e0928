import type { HistoryRecord } from './history.ts';

/**
 * Hand-made histories in Porcupine's ok/bad pairs (its test-data c01-ok/c01-bad): each pair
 * differs in as little as possible, so the pair shows exactly what makes a history illegal.
 * Times are small integers; every history is on key "/a" unless it says otherwise.
 */

/** A put that returned ok in [call, return]. */
export function put(client: number, path: string, value: string, call: number, returned: number): HistoryRecord {
  return { client, op: 'put', path, value, call, return: returned, ok: true };
}

/** A put whose outcome is unknown: never returned (returned = null) or ok = null. */
export function pendingPut(
  client: number,
  path: string,
  value: string,
  call: number,
  returned: number | null = null,
): HistoryRecord {
  return { client, op: 'put', path, value, call, return: returned, ok: null };
}

/** A put that definitely failed. */
export function failedPut(client: number, path: string, value: string, call: number, returned: number): HistoryRecord {
  return { client, op: 'put', path, value, call, return: returned, ok: false };
}

/** A get that returned `result` (null = absent) in [call, return]. */
export function get(client: number, path: string, result: string | null, call: number, returned: number): HistoryRecord {
  return { client, op: 'get', path, call, return: returned, ok: true, result };
}

export interface CorpusPair {
  readonly name: string;
  readonly ok: HistoryRecord[];
  readonly bad: HistoryRecord[];
}

const a = '/a';
const b = '/b';

export const corpus: readonly CorpusPair[] = [
  {
    name: 'c01 sequential: a get after two returned puts must see the second (bad: stale read)',
    ok: [put(1, a, 'x', 0, 1), get(2, a, 'x', 2, 3), put(1, a, 'y', 4, 5), get(2, a, 'y', 6, 7)],
    bad: [put(1, a, 'x', 0, 1), put(1, a, 'y', 2, 3), get(2, a, 'x', 4, 5)],
  },
  {
    name: 'c02 concurrent puts: a later get may see either, but then the value is fixed',
    ok: [put(1, a, 'x', 0, 10), put(2, a, 'y', 0, 10), get(3, a, 'x', 11, 12), get(3, a, 'x', 13, 14)],
    bad: [put(1, a, 'x', 0, 10), put(2, a, 'y', 0, 10), get(3, a, 'x', 11, 12), get(3, a, 'y', 13, 14)],
  },
  {
    name: 'c03 a get overlapping a put may return old or new (bad: new, then old again)',
    ok: [put(1, a, 'x', 0, 1), put(1, a, 'y', 2, 10), get(2, a, 'x', 3, 4), get(3, a, 'y', 5, 6)],
    bad: [put(1, a, 'x', 0, 1), put(1, a, 'y', 2, 10), get(2, a, 'y', 3, 4), get(3, a, 'x', 5, 6)],
  },
  {
    name: 'c04 a pending put may be seen by a later get (bad: seen, then unseen)',
    ok: [put(1, a, 'x', 0, 1), pendingPut(1, a, 'y', 2), get(2, a, 'y', 100, 101), get(2, a, 'y', 102, 103)],
    bad: [put(1, a, 'x', 0, 1), pendingPut(1, a, 'y', 2), get(2, a, 'y', 100, 101), get(2, a, 'x', 102, 103)],
  },
  {
    name: 'c05 a pending put may never be seen (bad: its value appears, goes, comes back)',
    ok: [put(1, a, 'x', 0, 1), pendingPut(1, a, 'y', 2), get(2, a, 'x', 100, 101), get(2, a, 'x', 200, 201)],
    bad: [pendingPut(1, a, 'y', 0), put(2, a, 'x', 1, 2), get(3, a, 'y', 3, 4), get(3, a, 'x', 5, 6), get(3, a, 'y', 7, 8)],
  },
  {
    name: 'c06 ConnectionLoss (ok=null, returned) may take effect after its return (bad: seen, then unseen)',
    ok: [put(1, a, 'x', 0, 1), pendingPut(1, a, 'y', 2, 3), get(2, a, 'x', 4, 5), get(2, a, 'y', 6, 7)],
    bad: [put(1, a, 'x', 0, 1), pendingPut(1, a, 'y', 2, 3), get(2, a, 'y', 4, 5), get(2, a, 'x', 6, 7)],
  },
  {
    name: 'c07 interleaved keys are independent registers (bad: a get of /b sees a value of /a)',
    ok: [put(1, a, 'x', 0, 2), put(2, b, 'u', 1, 3), get(3, b, 'u', 4, 5), get(1, a, 'x', 4, 6), put(2, a, 'y', 7, 8), get(3, b, 'u', 9, 10)],
    bad: [put(1, a, 'x', 0, 2), put(2, b, 'u', 1, 3), get(3, b, 'u', 4, 5), get(1, a, 'x', 4, 6), put(2, a, 'y', 7, 8), get(3, b, 'y', 9, 10)],
  },
  {
    name: 'c08 lost write: a returned put must stay visible to every later get',
    ok: [put(1, a, 'x', 0, 1), put(1, a, 'y', 2, 3), get(2, a, 'y', 4, 5), get(3, a, 'y', 6, 7), get(3, a, 'y', 8, 9)],
    bad: [put(1, a, 'x', 0, 1), put(1, a, 'y', 2, 3), get(2, a, 'y', 4, 5), get(3, a, 'x', 6, 7), get(3, a, 'x', 8, 9)],
  },
  {
    name: 'c09 reordered writes: one client put a then b; a later get must not see a',
    ok: [put(1, a, 'a', 0, 1), put(1, a, 'b', 2, 3), get(2, a, 'b', 4, 5)],
    bad: [put(1, a, 'a', 0, 1), put(1, a, 'b', 2, 3), get(2, a, 'a', 4, 5)],
  },
  {
    name: 'c10 a get returns only values that were written (bad: a value nobody wrote)',
    ok: [put(1, a, 'x', 0, 1), get(2, a, 'x', 2, 3)],
    bad: [put(1, a, 'x', 0, 1), get(2, a, 'z', 2, 3)],
  },
  {
    name: 'c11 non-monotonic reads by two sequential clients: new then old',
    ok: [put(1, a, 'x', 0, 1), put(1, a, 'y', 2, 3), get(2, a, 'x', 0, 2), get(3, a, 'y', 4, 5)],
    bad: [put(1, a, 'x', 0, 1), put(1, a, 'y', 2, 20), get(2, a, 'y', 3, 4), get(3, a, 'x', 5, 6)],
  },
  {
    name: 'c12 a definitely failed put (ok=false) never took effect',
    ok: [put(1, a, 'x', 0, 1), failedPut(1, a, 'y', 2, 3), get(2, a, 'x', 4, 5)],
    bad: [put(1, a, 'x', 0, 1), failedPut(1, a, 'y', 2, 3), get(2, a, 'y', 4, 5)],
  },
  {
    name: 'c13 closed intervals: a call at the instant of another return overlaps it',
    ok: [get(1, a, 'x', 1, 2), put(2, a, 'x', 2, 3)],
    bad: [get(1, a, 'x', 1, 2), put(2, a, 'x', 3, 4)],
  },
  {
    name: 'c14 the initial value is absent (bad: absent after a returned put)',
    ok: [get(1, a, null, 0, 1), put(2, a, 'x', 2, 3), get(1, a, 'x', 4, 5)],
    bad: [get(1, a, null, 0, 1), put(2, a, 'x', 2, 3), get(1, a, null, 4, 5)],
  },
];
