import { describe, expect, test } from 'vitest';
import { parseHistory } from '../core/sim/linearizability/history.ts';
import { formatJson, formatReadable } from './command-format.ts';
import type { GatewayOp, GatewayResult, Stat } from './gateway-ops.ts';
import { historyJson, historyRecord } from './history.ts';

const stat: Stat = {
  czxid: { epoch: 1, counter: 3 },
  mzxid: { epoch: 2, counter: 9 },
  pzxid: { epoch: 2, counter: 7 },
  ctime: 10,
  mtime: 20,
  version: 4,
  cversion: 1,
  aversion: 0,
  ephemeralOwner: null,
  dataLength: 5,
  numChildren: 1,
};

// Goal: one readable line (or one JSON object) per operation; ZooKeeper error names on failure.
describe('formatReadable', () => {
  test.each<[GatewayOp, GatewayResult, string]>([
    [{ op: 'create', path: '/a', data: 'x', ephemeral: false, sequential: false }, { ok: true, value: '/a' }, 'create /a -> /a'],
    [{ op: 'create', path: '/q/', data: '', ephemeral: false, sequential: true }, { ok: true, value: '/q/0000000001' }, 'create /q/ -> /q/0000000001'],
    [{ op: 'get', path: '/a' }, { ok: true, value: { data: 'hello', stat: { ...stat, version: 0 } } }, 'get /a -> "hello" (version 0)'],
    [{ op: 'get', path: '/a' }, { ok: true, value: { data: 'two\nlines', stat } }, 'get /a -> "two\\nlines" (version 4)'],
    [{ op: 'set', path: '/a', data: 'x', version: -1 }, { ok: true, value: stat }, 'set /a -> version 4'],
    [{ op: 'delete', path: '/a', version: -1 }, { ok: true, value: null }, 'delete /a -> ok'],
    [{ op: 'ls', path: '/' }, { ok: true, value: ['a', 'b c'] }, 'ls / -> ["a","b c"]'],
    [
      { op: 'stat', path: '/a' },
      { ok: true, value: stat },
      'stat /a -> version 4, cversion 1, children 1, dataLength 5, czxid 1:3, mzxid 2:9, ephemeralOwner none',
    ],
    [{ op: 'sync', path: '/a' }, { ok: true, value: '/a' }, 'sync /a -> ok'],
    [{ op: 'exists', path: '/a' }, { ok: true, value: stat }, 'exists /a -> yes (version 4)'],
    [{ op: 'exists', path: '/b' }, { ok: true, value: null }, 'exists /b -> no'],
    [{ op: 'get', path: '/missing' }, { ok: false, error: 'NoNode' }, 'error NoNode /missing'],
    [{ op: 'set', path: '/a', data: 'x', version: 9 }, { ok: false, error: 'BadVersion' }, 'error BadVersion /a'],
    [{ op: 'get', path: '/a' }, { ok: false, error: 'ConnectionLoss' }, 'error ConnectionLoss /a'],
    [{ op: 'ls', path: '/a' }, { ok: true, value: 'not a list' }, 'ls /a -> unexpected answer "not a list"'],
  ])('%j %j', (op, result, line) => {
    expect(formatReadable(op, result)).toBe(line);
  });
});

describe('formatJson', () => {
  test('one object per line with op, path, ok and result or error', () => {
    expect(JSON.parse(formatJson(3, { op: 'get', path: '/a' }, { ok: false, error: 'NoNode' }))).toEqual({
      line: 3,
      op: 'get',
      path: '/a',
      ok: false,
      error: 'NoNode',
    });
    expect(JSON.parse(formatJson(4, { op: 'ls', path: '/' }, { ok: true, value: ['a'] }))).toEqual({
      line: 4,
      op: 'ls',
      path: '/',
      ok: true,
      result: ['a'],
    });
  });
});

// Goal: --history writes the history record (core/sim/linearizability/history.ts) with the ZooKeeper conventions of core's checker
// (API op names, typed results, the error name of a failure, null return for unknown outcomes).
describe('history records', () => {
  const record = (op: GatewayOp, result: GatewayResult) => historyRecord('cli-1', op, 1, 2, result);

  test('each operation becomes the ZooKeeper call it is', () => {
    const created = { op: 'create', path: '/q/', data: 'x', ephemeral: true, sequential: true } as const;
    expect(record(created, { ok: true, value: '/q/0000000003' })).toEqual({
      client: 'cli-1', op: 'create', path: '/q/', value: 'x', version: null, sequential: true, ephemeral: true,
      call: 1, return: 2, ok: true, result: '/q/0000000003',
    });
    expect(record({ op: 'set', path: '/a', data: 'y', version: 3 }, { ok: true, value: stat })).toMatchObject({
      op: 'setData', value: 'y', version: 3, ok: true, result: 4,
    });
    expect(record({ op: 'get', path: '/a' }, { ok: true, value: { data: 'hi', stat } })).toMatchObject({
      op: 'getData', value: null, version: null, result: { data: 'hi', version: 4 },
    });
    expect(record({ op: 'ls', path: '/a' }, { ok: true, value: ['b'] })).toMatchObject({ op: 'getChildren', result: ['b'] });
    expect(record({ op: 'exists', path: '/a' }, { ok: true, value: stat })).toMatchObject({ op: 'exists', result: 4 });
    expect(record({ op: 'exists', path: '/b' }, { ok: true, value: null })).toMatchObject({ op: 'exists', result: null });
    expect(record({ op: 'delete', path: '/a', version: -1 }, { ok: true, value: null })).toMatchObject({ op: 'delete', version: -1, result: null });
    expect(record({ op: 'sync', path: '/a' }, { ok: true, value: '/a' })).toBeNull();
  });

  test('a stat is the exists it is equivalent to, NoNode included', () => {
    expect(record({ op: 'stat', path: '/a' }, { ok: true, value: stat })).toMatchObject({ op: 'exists', ok: true, result: 4 });
    expect(record({ op: 'stat', path: '/b' }, { ok: false, error: 'NoNode' })).toMatchObject({ op: 'exists', ok: true, result: null });
  });

  test('a failure names its error; a lost connection leaves the outcome unknown', () => {
    expect(record({ op: 'set', path: '/a', data: 'y', version: 0 }, { ok: false, error: 'BadVersion' })).toMatchObject({
      return: 2, ok: false, result: 'BadVersion',
    });
    expect(record({ op: 'delete', path: '/a', version: -1 }, { ok: false, error: 'ConnectionLoss' })).toMatchObject({
      return: null, ok: null, result: 'ConnectionLoss',
    });
  });

  test('the file is a JSON array whose common fields core/sim/linearizability parseHistory accepts', () => {
    const records = [
      record({ op: 'create', path: '/a', data: 'x', ephemeral: false, sequential: false }, { ok: true, value: '/a' })!,
      record({ op: 'get', path: '/a' }, { ok: false, error: 'ConnectionLoss' })!,
    ];
    const parsed: unknown = JSON.parse(historyJson(records));
    expect(parsed).toEqual(records);
    // Results are typed, as core's ZooKeeper records read them; the common fields are checked here.
    expect(parseHistory((parsed as object[]).map((item) => ({ ...item, result: null })))).toHaveLength(2);
    expect(historyJson([])).toBe('[]\n');
  });
});
