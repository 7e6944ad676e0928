import { describe, expect, test } from 'vitest';
import { checkOperations, checkOperationsTimeout } from './checker.ts';
import { checkHistory } from './check-history.ts';
import { corpus, get, pendingPut, put } from './corpus.ts';
import { checkKvRecords, kvOperationsFromHistory } from './kv-history.ts';
import { kvModel, type KvOperation } from './kv-model.ts';

// Goal: the checker's verdict on every hand-made ok/bad pair (Porcupine's test method), both
// through the history front door and through the generic model entry points.
describe('ok/bad corpus pairs', () => {
  for (const pair of corpus) {
    test(`${pair.name}: ok is linearizable`, () => {
      expect(checkHistory(pair.ok)).toEqual({ result: 'Ok' });
      expect(checkOperations(kvModel, kvOperationsFromHistory(pair.ok, 'absent').operations)).toBe(true);
    });

    test(`${pair.name}: bad is not, and its window fails on its own`, () => {
      const checked = checkHistory(pair.bad);
      expect(checked.result).toBe('Illegal');
      expect(checkOperations(kvModel, kvOperationsFromHistory(pair.bad, 'absent').operations)).toBe(false);
      const failure = checked.failure;
      if (failure === undefined) throw new Error('an Illegal result has no failure');
      expect(failure.window.length).toBeGreaterThan(0);
      expect(failure.window.length).toBeLessThanOrEqual(pair.bad.length);
      expect(checkKvRecords(failure.window, failure.initialValue)).toBe('Illegal');
      expect(failure.explanation).toContain(JSON.stringify(failure.key));
    });
  }
});

describe('pending operations', () => {
  test('the pending put is not dropped when its value is observed: it orders the gets', () => {
    const history = [pendingPut(1, '/a', 'y', 0), get(2, '/a', 'y', 5, 6), get(2, '/a', null, 7, 8)];
    expect(checkHistory(history).result).toBe('Illegal');
  });

  test('a pending put that is observed but has a duplicate writer stays unbounded', () => {
    // Two writers of "y": the tightening rewrite must not apply, and the verdict is still Ok.
    const history = [
      pendingPut(1, '/a', 'y', 0),
      put(2, '/a', 'y', 1, 2),
      put(3, '/a', 'x', 3, 4),
      get(4, '/a', 'y', 5, 6),
    ];
    expect(checkHistory(history).result).toBe('Ok');
  });

  test('gets that failed or never returned constrain nothing', () => {
    const history = [
      put(1, '/a', 'x', 0, 1),
      { client: 2, op: 'get', path: '/a', call: 2, return: 3, ok: false, result: 'garbage' },
      { client: 3, op: 'get', path: '/a', call: 2, return: null, ok: null },
      get(4, '/a', 'x', 4, 5),
    ];
    expect(checkHistory(history).result).toBe('Ok');
  });

  test('an operation the kv model does not know is rejected, not ignored', () => {
    const history = [{ client: 1, op: 'create', path: '/a', call: 0, return: 1, ok: true }];
    expect(() => checkHistory(history)).toThrow(/record 0: the kv model has no operation "create"/);
  });
});

describe('search bounds', () => {
  // Many overlapping puts and gets of one key: the search must try orders before it decides.
  function concurrentHistory(): KvOperation[] {
    const records = [];
    for (let i = 0; i < 6; i++) records.push(put(i, '/a', `v${i}`, 0, 100));
    for (let i = 0; i < 6; i++) records.push(get(20 + i, '/a', `v${5 - i}`, 0, 100));
    return kvOperationsFromHistory(records, 'absent').operations;
  }

  test('a tiny step budget gives Unknown', () => {
    expect(checkOperationsTimeout(kvModel, concurrentHistory(), { maxSteps: 5 })).toBe('Unknown');
    expect(checkHistory([put(1, '/a', 'x', 0, 10), put(2, '/a', 'y', 0, 10), get(3, '/a', 'x', 11, 12)], { maxSteps: 2 }).result).toBe(
      'Unknown',
    );
  });

  test('with enough steps the same history decides', () => {
    expect(checkOperationsTimeout(kvModel, concurrentHistory())).toBe('Ok');
  });

  test('an injected stop signal gives Unknown', () => {
    const records = [];
    // Long enough to pass the stop-signal polling interval.
    for (let i = 0; i < 5000; i++) records.push(put(1, '/a', `v${i}`, 2 * i, 2 * i + 1));
    let polls = 0;
    const verdict = checkOperationsTimeout(kvModel, kvOperationsFromHistory(records, 'absent').operations, {
      shouldStop: () => ++polls >= 1,
    });
    expect(verdict).toBe('Unknown');
    expect(polls).toBe(1);
  });

  test('an Illegal partition wins over an Unknown one', () => {
    const records = [
      ...Array.from({ length: 12 }, (_, i) => put(i, '/slow', `v${i}`, 0, 100)),
      get(99, '/slow', 'v3', 101, 102),
      put(1, '/bad', 'x', 0, 1),
      get(2, '/bad', 'z', 2, 3),
    ];
    expect(checkOperationsTimeout(kvModel, kvOperationsFromHistory(records, 'absent').operations, { maxSteps: 30 })).toBe(
      'Illegal',
    );
  });
});
