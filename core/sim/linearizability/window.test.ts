import { describe, expect, test } from 'vitest';
import { checkHistory } from './check-history.ts';
import { corpus, get, pendingPut, put } from './corpus.ts';
import { formatFailure, type Failure } from './explain.ts';
import type { HistoryRecord } from './history.ts';
import { checkKvRecords } from './kv-history.ts';

function failureOf(history: HistoryRecord[]): Failure {
  const checked = checkHistory(history);
  expect(checked.result).toBe('Illegal');
  if (checked.failure === undefined) throw new Error('an Illegal result has no failure');
  return checked.failure;
}

// Goal: a failure deep inside a long history is reported as the few operations that show it.
// Method: 200 operations on other keys and 50 on the same key before a stale read, 10 after.
describe('smallest failing window', () => {
  function staleReadDeepInHistory(): HistoryRecord[] {
    const history: HistoryRecord[] = [];
    for (let i = 0; i < 200; i++) {
      const key = ['/b', '/c', '/d', '/e'][i % 4] ?? '/b';
      const round = Math.floor(i / 4);
      // Per key: a put, then a get of it, alternating; they overlap /a's operations in time.
      if (round % 2 === 0) history.push(put(5 + (i % 3), key, `${key}-${round}`, 3 * i, 3 * i + 2));
      else history.push(get(5 + (i % 3), key, `${key}-${round - 1}`, 3 * i, 3 * i + 2));
    }
    for (let i = 0; i < 50; i++) {
      const client = 1 + (i % 4);
      if (i % 2 === 0) history.push(put(client, '/a', `a${i}`, 10 * i, 10 * i + 5));
      else history.push(get(client, '/a', `a${i - 1}`, 10 * i, 10 * i + 5));
    }
    history.push(put(1, '/a', 'old', 500, 505), put(2, '/a', 'new', 510, 515), get(3, '/a', 'old', 520, 525));
    for (let i = 0; i < 10; i++) history.push(put(4, '/a', `later${i}`, 530 + 10 * i, 535 + 10 * i));
    return history;
  }

  test('a stale read after 50 operations on its key shrinks to at most 4 operations', () => {
    const failure = failureOf(staleReadDeepInHistory());
    console.log(formatFailure(failure));
    expect(failure.key).toBe('/a');
    expect(failure.window.length).toBeLessThanOrEqual(4);
    expect(failure.window).toContainEqual(get(3, '/a', 'old', 520, 525));
    expect(failure.window).toContainEqual(put(2, '/a', 'new', 510, 515));
    expect(checkKvRecords(failure.window, failure.initialValue)).toBe('Illegal');
    expect(failure.explanation).toMatch(/stale value/);
  });

  test('a value nobody wrote shrinks to the get and what pins the value before it', () => {
    const history = staleReadDeepInHistory().map((record) =>
      record.op === 'get' && record.result === 'old' ? { ...record, result: 'phantom' } : record,
    );
    const failure = failureOf(history);
    expect(failure.window.length).toBeLessThanOrEqual(2);
    expect(checkKvRecords(failure.window, failure.initialValue)).toBe('Illegal');
    expect(failure.explanation).toContain('no put to "/a" ever wrote "phantom"');
  });

  test('a cut never hides a concurrent put that explains a read', () => {
    // Reading "x" after "y" returned is fine here: the slow put of "x" may land after "y".
    // The violation is "y" read after that. Dropping the slow put would show a fake stale read.
    const slowPut = put(1, '/a', 'x', 0, 100);
    const history = [slowPut, put(2, '/a', 'y', 10, 11), get(3, '/a', 'x', 20, 21), get(4, '/a', 'y', 30, 31)];
    const failure = failureOf(history);
    expect(failure.window).toContainEqual(slowPut);
    expect(checkKvRecords(failure.window, failure.initialValue)).toBe('Illegal');
  });

  test('every bad corpus history prints a window that fails on its own', () => {
    for (const pair of corpus) {
      const failure = failureOf(pair.bad);
      expect(checkKvRecords(failure.window, failure.initialValue), pair.name).toBe('Illegal');
    }
  });
});

describe('formatFailure', () => {
  test('one line per operation by call time, ∞ for an unknown return, then the reason', () => {
    const history = [
      get(3, '/a', 'x', 30, 31),
      put(1, '/a', 'x', 0, 1),
      pendingPut(2, '/a', 'y', 2),
      get(3, '/a', 'y', 20, 21),
    ];
    const text = formatFailure(failureOf(history));
    console.log(text);
    const lines = text.split('\n');
    // put "x" returned before everything else was called, so it is cut and "/a" is unknown.
    expect(lines[0]).toBe('not linearizable: key "/a", 3 operations, starting from whatever "/a" held before them (earlier operations cut):');
    expect(lines.slice(1, -1).map((line) => line.trim())).toEqual([
      'client 2   put /a "y"                   [2, ∞]  (never returned)',
      'client 3   get /a -> "y"                [20, 21]',
      'client 3   get /a -> "x"                [30, 31]',
    ]);
    expect(lines.at(-1)).toBe(
      '"/a": no order of these 3 operations explains every result; get by client 3 [30, 31] returned "x", ' +
        'but get by client 3 had already returned "y" at 21, and no put of "x" here can take effect between the two',
    );
  });
});
