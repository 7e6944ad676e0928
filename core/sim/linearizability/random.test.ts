import { describe, expect, test } from 'vitest';
import { seededRandom } from '../prng.ts';
import { checkHistory } from './check-history.ts';
import type { HistoryRecord } from './history.ts';
import { checkKvRecords } from './kv-history.ts';

interface GeneratorOptions {
  operations: number;
  keys: number;
  clients: number;
  /** Each interval reaches up to this far either side of its linearization point. */
  slack: number;
  /** Whether to include puts with unknown outcomes and failed operations. */
  faults: boolean;
}

/**
 * A history that is linearizable by construction: run the operations sequentially on a real
 * register map, one every 10 time units, then draw each one's [call, return] at random
 * around that linearization point. Clients take turns, so with slack < 5 * clients a client
 * never overlaps its own previous operation.
 */
function generateHistory(seed: number, options: GeneratorOptions): HistoryRecord[] {
  const random = seededRandom(seed);
  const below = (n: number): number => Math.floor(random() * n);
  const registers = new Map<string, string | null>();
  const history: HistoryRecord[] = [];
  for (let i = 0; i < options.operations; i++) {
    const point = 10 * (i + 1);
    const path = `/k${below(options.keys)}`;
    const call = point - below(options.slack + 1);
    const returned = point + below(options.slack + 1);
    const client = i % options.clients;
    const fault = options.faults ? below(20) : -1;
    if (random() < 0.5) {
      const value = `v${i}`;
      // 0: never returned but applied; 1: ConnectionLoss, not applied; 2: definitely failed.
      if (fault !== 1 && fault !== 2) registers.set(path, value);
      const ok = fault === 0 || fault === 1 ? null : fault !== 2;
      history.push({ client, op: 'put', path, value, call, return: fault === 0 ? null : returned, ok });
    } else {
      const failed = fault === 3;
      const result = failed ? 'garbage' : (registers.get(path) ?? null);
      history.push({ client, op: 'get', path, call, return: returned, ok: !failed, result });
    }
  }
  return history;
}

// Goal: no false alarms on correct histories, and a planted bug is always caught.
describe('randomized self-check', () => {
  const options: GeneratorOptions = { operations: 150, keys: 3, clients: 4, slack: 19, faults: true };

  test('200 histories generated from a sequential execution are linearizable', () => {
    for (let seed = 1; seed <= 200; seed++) {
      expect(checkHistory(generateHistory(seed, options)).result, `seed ${seed}`).toBe('Ok');
    }
  });

  test('a get corrupted to a value never written is caught, and its window fails alone', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const history = generateHistory(seed, options);
      const random = seededRandom(seed ^ 0x5eed);
      const gets = history.flatMap((record, index) => (record.op === 'get' && record.ok === true ? [index] : []));
      const victim = gets[Math.floor(random() * gets.length)];
      if (victim === undefined) continue;
      history[victim] = { ...(history[victim] as HistoryRecord), result: 'never-written' };
      const checked = checkHistory(history);
      expect(checked.result, `seed ${seed}`).toBe('Illegal');
      const failure = checked.failure;
      if (failure === undefined) throw new Error(`seed ${seed}: an Illegal result has no failure`);
      expect(failure.window).toContainEqual(history[victim]);
      expect(checkKvRecords(failure.window, failure.initialValue), `seed ${seed}`).toBe('Illegal');
    }
  });
});

/**
 * The definition itself, for tiny histories: try every order of the operations that respects
 * real time, from each given initial value. An unknown-outcome put returns at infinity, so it
 * may come last, which is the same as never taking effect.
 */
function bruteForceLinearizable(records: readonly HistoryRecord[], initialValues: readonly (string | null)[]): boolean {
  const operations = records.filter((record) =>
    record.op === 'put' ? record.ok !== false : record.ok === true && record.return !== null,
  );
  const finishedAt = (record: HistoryRecord): number =>
    record.op === 'put' && (record.ok !== true || record.return === null) ? Infinity : (record.return ?? Infinity);
  const used = new Array<boolean>(operations.length).fill(false);
  const search = (value: string | null, placed: number): boolean => {
    if (placed === operations.length) return true;
    for (let i = 0; i < operations.length; i++) {
      const operation = operations[i];
      if (used[i] === true || operation === undefined) continue;
      // Something not yet placed must not have returned before this one was called.
      const blocked = operations.some((other, j) => used[j] !== true && j !== i && finishedAt(other) < operation.call);
      if (blocked) continue;
      const isPut = operation.op === 'put';
      if (!isPut && (operation.result ?? null) !== value) continue;
      used[i] = true;
      const next = isPut ? (operation.value ?? null) : value;
      if (search(next, placed + 1)) return true;
      used[i] = false;
    }
    return false;
  };
  return initialValues.some((initial) => search(initial, 0));
}

describe('agreement with the definition on tiny histories', () => {
  test('checkHistory and its windows agree with brute force on 3000 random 6-operation histories', () => {
    const random = seededRandom(7);
    const below = (n: number): number => Math.floor(random() * n);
    const values = ['x', 'y', 'z'];
    for (let round = 0; round < 3000; round++) {
      const history: HistoryRecord[] = [];
      for (let i = 0; i < 6; i++) {
        const call = below(10);
        const returned = call + below(6);
        const unknown = below(5) === 0;
        if (random() < 0.5) {
          const value = values[below(3)] ?? 'x';
          history.push({ client: i, op: 'put', path: '/a', value, call, return: unknown && below(2) === 0 ? null : returned, ok: unknown ? null : true });
        } else {
          const result = below(4) === 0 ? null : (values[below(3)] ?? 'x');
          history.push({ client: i, op: 'get', path: '/a', call, return: returned, ok: true, result });
        }
      }
      const checked = checkHistory(history);
      const expected = bruteForceLinearizable(history, [null]);
      expect(checked.result, JSON.stringify(history)).toBe(expected ? 'Ok' : 'Illegal');
      const failure = checked.failure;
      if (failure === undefined) continue;
      // The window must be illegal by the definition too, from whatever it claims to start at.
      const starts = failure.initialValue === 'absent' ? [null] : [null, 'fresh', ...values];
      expect(bruteForceLinearizable(failure.window, starts), JSON.stringify(history)).toBe(false);
    }
  });
});

describe('performance', () => {
  test('3000 operations over 8 keys with 5 concurrent clients', () => {
    const history = generateHistory(42, { operations: 3000, keys: 8, clients: 5, slack: 24, faults: true });
    // performance.now only measures this test; the checker itself reads no clock.
    const started = performance.now();
    const checked = checkHistory(history);
    const elapsedMs = performance.now() - started;
    expect(checked.result).toBe('Ok');
    console.log(`checked 3000 operations over 8 keys in ${elapsedMs.toFixed(1)} ms`);
  });
});
