import { describe, expect, test } from 'vitest';
import { parseHistory } from './history.ts';

// Goal: a broken export is rejected at the boundary with the index of the first bad record.
describe('parseHistory', () => {
  const good = [
    { client: 1, op: 'put', path: '/a', value: 'x', call: 0, return: 2, ok: true },
    { client: 'tab-2', op: 'get', path: '/a', call: 1, return: null, ok: null, result: null },
    { client: 3, op: 'put', path: '/a', value: null, version: null, call: 3, return: 4, ok: false },
  ];

  test('accepts well-formed records and keeps their fields', () => {
    expect(parseHistory(JSON.parse(JSON.stringify(good)))).toEqual(good);
  });

  test('names the first bad record and the field', () => {
    const bad = [...good, { client: 1, op: 'get', path: '/a', call: 'soon', return: 5, ok: true }];
    expect(() => parseHistory(bad)).toThrow(/^history record 3 is invalid: call: /);
  });

  test('rejects a record that returns before it was called', () => {
    const bad = [{ client: 1, op: 'put', path: '/a', value: 'x', call: 5, return: 4, ok: true }];
    expect(() => parseHistory(bad)).toThrow('history record 0 is invalid: return is earlier than call');
  });

  test('rejects a missing ok and a non-array', () => {
    expect(() => parseHistory([{ client: 1, op: 'put', path: '/a', call: 0, return: 1 }])).toThrow(
      /^history record 0 is invalid: ok: /,
    );
    expect(() => parseHistory({ records: [] })).toThrow('history must be an array of records, got object');
  });
});
