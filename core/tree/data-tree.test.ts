import { describe, expect, it } from 'vitest';
import { AssertionError } from '../assert.ts';
import { zxid } from '../zxid.ts';
import { DataTree } from './data-tree.ts';
import type { Stat } from './stat.ts';
import { TreeHarness } from './testing.ts';
import type { CreateRequest, MultiOp, WriteRequest } from './requests.ts';

// Goal: a ZooKeeper user finds the semantics they know (ZooKeeper 3.8: DataTree.java,
// PrepRequestProcessor.java, DataNode.copyStat). Method: a TreeHarness prepares each request and
// applies its txn with zxid 1:n (n = the write's number) and a time the test passes; every error
// is asserted by its name.

function createRequest(path: string, fields: Partial<CreateRequest> = {}): CreateRequest {
  return { type: 'create', path, data: '', ephemeral: false, sequential: false, sessionId: null, ...fields };
}

const z = (counter: number) => zxid(1, counter);

/** The stat of a node created at write `counter`, time `timeMs`, untouched since. */
function freshStat(counter: number, timeMs: number, fields: Partial<Stat> = {}): Stat {
  return {
    czxid: z(counter),
    mzxid: z(counter),
    pzxid: z(counter),
    ctime: timeMs,
    mtime: timeMs,
    version: 0,
    cversion: 0,
    aversion: 0,
    ephemeralOwner: null,
    dataLength: 0,
    numChildren: 0,
    ...fields,
  };
}

function expectError(harness: TreeHarness, request: WriteRequest, error: string): void {
  const before = harness.tree.digest();
  const { result, events, txn } = harness.write(request);
  expect(result).toMatchObject({ ok: false, error });
  expect(txn.type).toMatch(/^(error|multiError)$/);
  expect(events).toEqual([]);
  expect(harness.tree.digest()).toBe(before);
}

describe('the empty tree', () => {
  it('has only the root, with a stat of zeros', () => {
    const harness = new TreeHarness();
    expect(harness.children('/')).toEqual([]);
    expect(harness.stat('/')).toEqual({ ...freshStat(0, 0), czxid: zxid(0, 0), mzxid: zxid(0, 0), pzxid: zxid(0, 0) });
  });
});

describe('create', () => {
  it('sets czxid = mzxid = pzxid = zxid, ctime = mtime = time, versions 0; fires NodeCreated then NodeChildrenChanged', () => {
    const harness = new TreeHarness();
    const { result, events, txn } = harness.write(createRequest('/a', { data: 'héllo' }), 5000);
    expect(txn).toEqual({ type: 'create', path: '/a', data: 'héllo', ephemeralOwner: null, timeMs: 5000 });
    expect(result).toEqual({ ok: true, value: { path: '/a', stat: freshStat(1, 5000, { dataLength: 6 }) } });
    expect(events).toEqual([
      { type: 'NodeCreated', path: '/a' },
      { type: 'NodeChildrenChanged', path: '/' },
    ]);
    expect(harness.data('/a')).toBe('héllo');
    expect(harness.stat('/a')).toEqual(freshStat(1, 5000, { dataLength: 6 }));
  });

  it("bumps the parent's cversion, pzxid and numChildren, and nothing else of the parent", () => {
    const harness = new TreeHarness();
    harness.write(createRequest('/p', { data: 'pp' }), 100);
    harness.write(createRequest('/p/c'), 200);
    expect(harness.stat('/p')).toEqual(freshStat(1, 100, { pzxid: z(2), cversion: 1, numChildren: 1, dataLength: 2 }));
    const { events } = harness.write(createRequest('/p/d'), 300);
    expect(events).toEqual([
      { type: 'NodeCreated', path: '/p/d' },
      { type: 'NodeChildrenChanged', path: '/p' },
    ]);
    expect(harness.stat('/p')).toEqual(freshStat(1, 100, { pzxid: z(3), cversion: 2, numChildren: 2, dataLength: 2 }));
    expect(harness.children('/p')).toEqual(['c', 'd']);
  });

  it('fails NoNode without the parent, NodeExists on an existing path or "/", NoChildrenForEphemerals under an ephemeral', () => {
    const harness = new TreeHarness();
    harness.create('/a');
    harness.ok({ type: 'createSession', sessionId: 's1', timeoutMs: 1000 });
    harness.create('/e', '', { ephemeral: true, sessionId: 's1' });
    expectError(harness, createRequest('/missing/child'), 'NoNode');
    expectError(harness, createRequest('/a'), 'NodeExists');
    expectError(harness, createRequest('/'), 'NodeExists');
    expectError(harness, createRequest('/e/child'), 'NoChildrenForEphemerals');
    expectError(harness, createRequest('/e/child', { sequential: true }), 'NoChildrenForEphemerals');
  });

  it('checks in ZooKeeper order: NodeExists before NoChildrenForEphemerals', () => {
    // Reachable only as a race in ZooKeeper too; here: the node exists, so NodeExists wins.
    const harness = new TreeHarness();
    harness.create('/a');
    const { result } = harness.write(createRequest('/a'));
    expect(result).toEqual({ ok: false, error: 'NodeExists', details: { path: '/a' } });
  });

  it('fails SessionExpired for an ephemeral of an unknown session, and for any create naming a dead session', () => {
    const harness = new TreeHarness();
    expectError(harness, createRequest('/e', { ephemeral: true, sessionId: 'nobody' }), 'SessionExpired');
    expectError(harness, createRequest('/p', { sessionId: 'nobody' }), 'SessionExpired');
    harness.ok({ type: 'createSession', sessionId: 's1', timeoutMs: 1000 });
    harness.ok({ type: 'closeSession', sessionId: 's1' });
    expectError(harness, createRequest('/e', { ephemeral: true, sessionId: 's1' }), 'SessionExpired');
  });
});

describe('sequential create', () => {
  it('numbers by children ever created, not by cversion (measured on ZooKeeper 3.8: create a, b, delete a, b ⇒ cversion 4, next 0000000002)', () => {
    const harness = new TreeHarness();
    harness.create('/p');
    harness.create('/p/a');
    harness.create('/p/b');
    harness.ok({ type: 'delete', path: '/p/a', version: -1 });
    harness.ok({ type: 'delete', path: '/p/b', version: -1 });
    expect(harness.stat('/p')).toMatchObject({ cversion: 4, numChildren: 0, pzxid: z(5) });
    expect(harness.create('/p/x-', '', { sequential: true })).toBe('/p/x-0000000002');
    expect(harness.create('/p/x-', '', { sequential: true })).toBe('/p/x-0000000003');
    expect(harness.stat('/p')).toMatchObject({ cversion: 6, numChildren: 2 });
  });

  it('appends the counter directly to a path ending in "/", also under the root', () => {
    const harness = new TreeHarness();
    expect(harness.create('/', '', { sequential: true })).toBe('/0000000000');
    harness.create('/q');
    expect(harness.create('/q/', 'job', { sequential: true })).toBe('/q/0000000000');
    expect(harness.create('/q/', 'job', { sequential: true })).toBe('/q/0000000001');
    expect(harness.children('/q')).toEqual(['0000000000', '0000000001']);
    expect(harness.create('/', '', { sequential: true })).toBe('/0000000002');
  });

  it('does not consume a number when the create fails', () => {
    const harness = new TreeHarness();
    harness.create('/p');
    harness.create('/p/lock-0000000001'); // takes number 0 and will collide with the next name
    expectError(harness, createRequest('/p/lock-', { sequential: true }), 'NodeExists');
    expect(harness.stat('/p')).toMatchObject({ cversion: 1 });
    harness.create('/p/other'); // number 1
    expect(harness.create('/p/lock-', '', { sequential: true })).toBe('/p/lock-0000000002');
  });
});

describe('delete', () => {
  it("removes the node, bumps the parent's cversion and pzxid, lowers numChildren; fires NodeDeleted then NodeChildrenChanged", () => {
    const harness = new TreeHarness();
    harness.write(createRequest('/p'), 100);
    harness.write(createRequest('/p/c'), 200);
    const { result, events } = harness.write({ type: 'delete', path: '/p/c', version: 0 }, 300);
    expect(result).toEqual({ ok: true, value: null });
    expect(events).toEqual([
      { type: 'NodeDeleted', path: '/p/c' },
      { type: 'NodeChildrenChanged', path: '/p' },
    ]);
    expect(harness.stat('/p')).toEqual(freshStat(1, 100, { pzxid: z(3), cversion: 2, numChildren: 0 }));
    expect(harness.tree.query({ type: 'exists', path: '/p/c' })).toEqual({ ok: true, value: null });
  });

  it('fails NoNode, BadVersion, NotEmpty (BadVersion first, as PrepRequestProcessor), and BadArguments for "/"', () => {
    const harness = new TreeHarness();
    harness.create('/p');
    harness.create('/p/c');
    expectError(harness, { type: 'delete', path: '/nope', version: -1 }, 'NoNode');
    expectError(harness, { type: 'delete', path: '/nope/deeper', version: -1 }, 'NoNode');
    expectError(harness, { type: 'delete', path: '/p/c', version: 3 }, 'BadVersion');
    expectError(harness, { type: 'delete', path: '/p', version: 7 }, 'BadVersion');
    expectError(harness, { type: 'delete', path: '/p', version: 0 }, 'NotEmpty');
    expectError(harness, { type: 'delete', path: '/p', version: -1 }, 'NotEmpty');
    expectError(harness, { type: 'delete', path: '/', version: -1 }, 'BadArguments');
  });
});

describe('setData', () => {
  it('bumps version, mzxid, mtime and dataLength, keeps czxid and ctime; fires NodeDataChanged', () => {
    const harness = new TreeHarness();
    harness.write(createRequest('/a', { data: 'x' }), 100);
    const { result, events, txn } = harness.write({ type: 'setData', path: '/a', data: '東京', version: 0 }, 250);
    expect(txn).toEqual({ type: 'setData', path: '/a', data: '東京', version: 1, timeMs: 250 });
    const expected = freshStat(1, 100, { mzxid: z(2), mtime: 250, version: 1, dataLength: 6 });
    expect(result).toEqual({ ok: true, value: expected });
    expect(events).toEqual([{ type: 'NodeDataChanged', path: '/a' }]);
    expect(harness.stat('/a')).toEqual(expected);
    harness.write({ type: 'setData', path: '/a', data: '', version: -1 }, 300);
    expect(harness.stat('/a')).toMatchObject({ version: 2, mzxid: z(3), mtime: 300, dataLength: 0, pzxid: z(1) });
  });

  it('fails NoNode and BadVersion', () => {
    const harness = new TreeHarness();
    harness.create('/a');
    expectError(harness, { type: 'setData', path: '/b', data: '', version: -1 }, 'NoNode');
    expectError(harness, { type: 'setData', path: '/a', data: '', version: 1 }, 'BadVersion');
  });

  it('works on the root', () => {
    const harness = new TreeHarness();
    harness.ok({ type: 'setData', path: '/', data: 'r', version: 0 });
    expect(harness.stat('/')).toMatchObject({ version: 1, dataLength: 1, mzxid: z(1) });
  });
});

describe('reads', () => {
  it('getData, exists and getChildren (sorted names) answer from the tree; NoNode for a missing node', () => {
    const harness = new TreeHarness();
    harness.create('/p', 'data');
    for (const name of ['b', 'a', 'c10', 'c9']) harness.create(`/p/${name}`);
    const tree = harness.tree;
    expect(tree.query({ type: 'getData', path: '/p' })).toEqual({ ok: true, value: { data: 'data', stat: harness.stat('/p') } });
    expect(tree.query({ type: 'getChildren', path: '/p' })).toEqual({ ok: true, value: { children: ['a', 'b', 'c10', 'c9'], stat: harness.stat('/p') } });
    expect(tree.query({ type: 'exists', path: '/p/x' })).toEqual({ ok: true, value: null });
    expect(tree.query({ type: 'getData', path: '/p/x' })).toEqual({ ok: false, error: 'NoNode', details: { path: '/p/x' } });
    expect(tree.query({ type: 'getChildren', path: '/p/x' })).toEqual({ ok: false, error: 'NoNode', details: { path: '/p/x' } });
  });

  it('answers BadArguments to a write, a check or a malformed read', () => {
    const tree = new DataTree();
    expect(tree.query({ type: 'delete', path: '/a', version: -1 })).toMatchObject({ ok: false, error: 'BadArguments' });
    expect(tree.query({ type: 'check', path: '/a', version: -1 })).toMatchObject({ ok: false, error: 'BadArguments' });
    expect(tree.query({ type: 'getData', path: 'a' })).toMatchObject({ ok: false, error: 'BadArguments' });
  });
});

describe('sessions and ephemerals', () => {
  it('creates ephemerals owned by a live session, and lists them', () => {
    const harness = new TreeHarness();
    expect(harness.ok({ type: 'createSession', sessionId: 's1', timeoutMs: 4000 })).toEqual({ sessionId: 's1', timeoutMs: 4000 });
    harness.create('/locks');
    expect(harness.create('/locks/lock-', '', { ephemeral: true, sequential: true, sessionId: 's1' })).toBe('/locks/lock-0000000000');
    harness.create('/locks/plain', '', { sessionId: 's1' });
    expect(harness.stat('/locks/lock-0000000000').ephemeralOwner).toBe('s1');
    expect(harness.stat('/locks/plain').ephemeralOwner).toBeNull();
    expect(harness.children('/locks')).toEqual(['lock-0000000000', 'plain']);
  });

  it('createSession of a live id is idempotent: it keeps the first timeout and changes nothing', () => {
    const harness = new TreeHarness();
    harness.ok({ type: 'createSession', sessionId: 's1', timeoutMs: 4000 });
    const before = harness.tree.digest();
    expect(harness.ok({ type: 'createSession', sessionId: 's1', timeoutMs: 9000 })).toEqual({ sessionId: 's1', timeoutMs: 4000 });
    expect(harness.tree.digest()).toBe(before);
  });

  it("closeSession deletes the session's ephemerals in sorted path order, firing each delete's events", () => {
    const harness = new TreeHarness();
    harness.ok({ type: 'createSession', sessionId: 's1', timeoutMs: 4000 });
    harness.ok({ type: 'createSession', sessionId: 's2', timeoutMs: 4000 });
    harness.create('/b');
    harness.create('/b/e2', '', { ephemeral: true, sessionId: 's1' });
    harness.create('/a', '', { ephemeral: true, sessionId: 's1' });
    harness.create('/b/e1', '', { ephemeral: true, sessionId: 's1' });
    harness.create('/b/other', '', { ephemeral: true, sessionId: 's2' });
    harness.create('/b/gone', '', { ephemeral: true, sessionId: 's1' });
    harness.ok({ type: 'delete', path: '/b/gone', version: -1 });
    const { txn, result, events, zxid: at } = harness.write({ type: 'closeSession', sessionId: 's1' });
    expect(txn).toEqual({ type: 'closeSession', sessionId: 's1', paths: ['/a', '/b/e1', '/b/e2'] });
    expect(result).toEqual({ ok: true, value: null });
    expect(events).toEqual([
      { type: 'NodeDeleted', path: '/a' },
      { type: 'NodeChildrenChanged', path: '/' },
      { type: 'NodeDeleted', path: '/b/e1' },
      { type: 'NodeChildrenChanged', path: '/b' },
      { type: 'NodeDeleted', path: '/b/e2' },
      { type: 'NodeChildrenChanged', path: '/b' },
    ]);
    expect(harness.children('/')).toEqual(['b']);
    expect(harness.children('/b')).toEqual(['other']);
    expect(harness.stat('/b')).toMatchObject({ pzxid: at, numChildren: 1, cversion: 7 });
    expectError(harness, createRequest('/x', { ephemeral: true, sessionId: 's1' }), 'SessionExpired');
  });

  it('closeSession of an unknown session is ok and changes nothing', () => {
    const harness = new TreeHarness();
    harness.create('/a');
    const before = harness.tree.digest();
    const { txn, result, events } = harness.write({ type: 'closeSession', sessionId: 'nobody' });
    expect(txn).toEqual({ type: 'closeSession', sessionId: 'nobody', paths: [] });
    expect(result).toEqual({ ok: true, value: null });
    expect(events).toEqual([]);
    expect(harness.tree.digest()).toBe(before);
  });
});

describe('multi', () => {
  it('applies all ops under one zxid, each seeing the ones before it, with ZooKeeper results and events in op order', () => {
    const harness = new TreeHarness();
    harness.create('/a', 'old');
    const ops: MultiOp[] = [
      { type: 'create', path: '/q', data: '', ephemeral: false, sequential: false },
      { type: 'create', path: '/q/item-', data: 'i', ephemeral: false, sequential: true },
      { type: 'check', path: '/q/item-0000000000', version: 0 },
      { type: 'setData', path: '/q/item-0000000000', data: 'ii', version: 0 },
      { type: 'delete', path: '/a', version: 0 },
    ];
    const { result, events } = harness.write({ type: 'multi', sessionId: null, ops }, 700);
    expect(result).toEqual({
      ok: true,
      value: {
        results: [
          // Each result holds the stat as that op left it (DataTree.createNode copies it then).
          { type: 'create', path: '/q', stat: freshStat(2, 700) },
          { type: 'create', path: '/q/item-0000000000', stat: freshStat(2, 700, { dataLength: 1 }) },
          { type: 'check' },
          { type: 'setData', stat: freshStat(2, 700, { version: 1, dataLength: 2 }) },
          { type: 'delete' },
        ],
      },
    });
    expect(events).toEqual([
      { type: 'NodeCreated', path: '/q' },
      { type: 'NodeChildrenChanged', path: '/' },
      { type: 'NodeCreated', path: '/q/item-0000000000' },
      { type: 'NodeChildrenChanged', path: '/q' },
      { type: 'NodeDataChanged', path: '/q/item-0000000000' },
      { type: 'NodeDeleted', path: '/a' },
      { type: 'NodeChildrenChanged', path: '/' },
    ]);
    expect(harness.children('/')).toEqual(['q']);
    expect(harness.stat('/q')).toEqual(freshStat(2, 700, { cversion: 1, numChildren: 1 }));
  });

  it('changes nothing when its third op fails: Ok, Ok, the error, then RuntimeInconsistency (DataTree.processTxn)', () => {
    const harness = new TreeHarness();
    harness.create('/a', 'x');
    harness.create('/s');
    const before = harness.tree.digest();
    const snapshotBefore = JSON.stringify(harness.tree.snapshot());
    const ops: MultiOp[] = [
      { type: 'create', path: '/s/seq-', data: '', ephemeral: false, sequential: true },
      { type: 'setData', path: '/a', data: 'y', version: 0 },
      { type: 'delete', path: '/missing', version: -1 },
      { type: 'delete', path: '/a', version: -1 },
    ];
    const { result, events, txn } = harness.write({ type: 'multi', sessionId: null, ops });
    expect(txn.type).toBe('multiError');
    expect(result).toEqual({
      ok: false,
      error: 'NoNode',
      details: {
        failedIndex: 2,
        results: [
          { type: 'error', error: 'Ok' },
          { type: 'error', error: 'Ok' },
          { type: 'error', error: 'NoNode' },
          { type: 'error', error: 'RuntimeInconsistency' },
        ],
      },
    });
    expect(events).toEqual([]);
    expect(harness.tree.digest()).toBe(before);
    expect(JSON.stringify(harness.tree.snapshot())).toBe(snapshotBefore);
    // The sequential number the failed multi would have used is still free.
    expect(harness.create('/s/seq-', '', { sequential: true })).toBe('/s/seq-0000000000');
  });

  it('fails on what earlier ops of the same multi did (BadVersion after a setData, NodeExists after a create)', () => {
    const harness = new TreeHarness();
    harness.create('/a');
    const setTwice = harness.write({
      type: 'multi',
      sessionId: null,
      ops: [
        { type: 'setData', path: '/a', data: '1', version: 0 },
        { type: 'check', path: '/a', version: 0 },
      ],
    });
    expect(setTwice.result).toMatchObject({ ok: false, error: 'BadVersion', details: { failedIndex: 1 } });
    const createTwice = harness.write({ type: 'multi', sessionId: null, ops: [createRequest('/b'), createRequest('/b')] });
    expect(createTwice.result).toMatchObject({ ok: false, error: 'NodeExists', details: { failedIndex: 1 } });
    const deleteThenCheck = harness.write({
      type: 'multi',
      sessionId: null,
      ops: [
        { type: 'delete', path: '/a', version: -1 },
        { type: 'check', path: '/a', version: -1 },
      ],
    });
    expect(deleteThenCheck.result).toMatchObject({ ok: false, error: 'NoNode', details: { failedIndex: 1 } });
  });

  it('reports every op error by name, at the first op too', () => {
    const harness = new TreeHarness();
    harness.ok({ type: 'createSession', sessionId: 's1', timeoutMs: 1000 });
    harness.create('/p');
    harness.create('/p/c');
    harness.create('/e', '', { ephemeral: true, sessionId: 's1' });
    const cases: [MultiOp, string][] = [
      [createRequest('/nope/x'), 'NoNode'],
      [createRequest('/p'), 'NodeExists'],
      [createRequest('/e/x'), 'NoChildrenForEphemerals'],
      [{ type: 'delete', path: '/p', version: -1 }, 'NotEmpty'],
      [{ type: 'delete', path: '/', version: -1 }, 'BadArguments'],
      [{ type: 'setData', path: '/p', data: '', version: 5 }, 'BadVersion'],
      [{ type: 'check', path: '/p', version: 5 }, 'BadVersion'],
      [{ type: 'check', path: '/nope', version: -1 }, 'NoNode'],
    ];
    for (const [op, error] of cases) {
      const { result } = harness.write({ type: 'multi', sessionId: 's1', ops: [op, createRequest('/later')] });
      expect(result).toEqual({
        ok: false,
        error,
        details: {
          failedIndex: 0,
          results: [
            { type: 'error', error },
            { type: 'error', error: 'RuntimeInconsistency' },
          ],
        },
      });
    }
  });

  it('owns its ephemerals by the multi session; fails SessionExpired for a dead session; an empty multi is ok', () => {
    const harness = new TreeHarness();
    harness.ok({ type: 'createSession', sessionId: 's1', timeoutMs: 1000 });
    harness.ok({ type: 'multi', sessionId: 's1', ops: [{ type: 'create', path: '/e', data: '', ephemeral: true, sequential: false }] });
    expect(harness.stat('/e').ephemeralOwner).toBe('s1');
    expectError(harness, { type: 'multi', sessionId: 'gone', ops: [createRequest('/x')] }, 'SessionExpired');
    expect(harness.ok({ type: 'multi', sessionId: null, ops: [] })).toEqual({ results: [] });
  });
});

describe('prepare', () => {
  it('never changes the tree, whatever the request', () => {
    const harness = new TreeHarness();
    harness.ok({ type: 'createSession', sessionId: 's1', timeoutMs: 1000 });
    harness.create('/p', 'x');
    harness.create('/p/e', '', { ephemeral: true, sessionId: 's1' });
    const requests: WriteRequest[] = [
      createRequest('/p/', { sequential: true }),
      createRequest('/q', { ephemeral: true, sessionId: 's1' }),
      { type: 'delete', path: '/p/e', version: -1 },
      { type: 'setData', path: '/p', data: 'y', version: -1 },
      { type: 'multi', sessionId: 's1', ops: [createRequest('/m'), { type: 'delete', path: '/m', version: 0 }, { type: 'setData', path: '/p', data: '', version: 0 }] },
      { type: 'multi', sessionId: null, ops: [createRequest('/m'), { type: 'delete', path: '/nope', version: 0 }] },
      { type: 'createSession', sessionId: 's2', timeoutMs: 1000 },
      { type: 'closeSession', sessionId: 's1' },
    ];
    const before = harness.tree.digest();
    for (const request of requests) harness.tree.prepare(request, { timeMs: 5 });
    expect(harness.tree.digest()).toBe(before);
  });

  it('turns a read or a malformed request into a BadArguments error txn', () => {
    const tree = new DataTree();
    expect(tree.prepare({ type: 'getData', path: '/' }, { timeMs: 0 })).toEqual({ type: 'error', error: 'BadArguments', path: '/' });
    expect(tree.prepare({ type: 'create', path: 'nope' }, { timeMs: 0 })).toEqual({ type: 'error', error: 'BadArguments', path: null });
    expect(tree.apply({ type: 'error', error: 'BadArguments', path: null }, zxid(1, 1))).toEqual({ result: { ok: false, error: 'BadArguments' }, events: [] });
  });
});

describe('apply', () => {
  it('asserts on a txn that is malformed or does not fit the tree (a broken invariant, not a result)', () => {
    const tree = new DataTree();
    expect(() => tree.apply({ type: 'create', path: '/a' }, zxid(1, 1))).toThrow(AssertionError);
    expect(() => tree.apply({ type: 'delete', path: '/missing' }, zxid(1, 1))).toThrow(/missing znode/);
    expect(() => tree.apply({ type: 'create', path: '/a/b', data: '', ephemeralOwner: null, timeMs: 0 }, zxid(1, 1))).toThrow(/missing znode \//);
    expect(() => tree.apply({ type: 'create', path: '/e', data: '', ephemeralOwner: 'dead', timeMs: 0 }, zxid(1, 1))).toThrow(/dead session/);
  });
});
