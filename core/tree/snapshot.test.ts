import { describe, expect, it, vi } from 'vitest';
import type { Json } from '../types.ts';
import { DataTree } from './data-tree.ts';
import { digest64 } from './digest.ts';
import { SNAPSHOT_FORMAT } from './snapshot.ts';
import type { TreeSnapshot } from './snapshot.ts';
import { TreeHarness } from './testing.ts';

// Goal: a snapshot carries the whole state (znodes with stats, sequential counters, sessions and
// their ephemerals) and nothing else, so a restored tree answers every query as the original and
// has its digest. Method: build a tree with every feature, restore it elsewhere, compare.

function populated(): TreeHarness {
  const harness = new TreeHarness();
  harness.ok({ type: 'createSession', sessionId: 's1', timeoutMs: 4000 });
  harness.ok({ type: 'createSession', sessionId: 's2', timeoutMs: 9000 });
  harness.create('/app', 'config');
  harness.create('/app/locks');
  harness.create('/app/locks/lock-', '', { ephemeral: true, sequential: true, sessionId: 's1' });
  harness.create('/app/locks/lock-', '', { ephemeral: true, sequential: true, sessionId: 's2' });
  harness.create('/app/q');
  harness.create('/app/q/a');
  harness.ok({ type: 'delete', path: '/app/q/a', version: 0 });
  harness.ok({ type: 'setData', path: '/app', data: 'config v2 ✓', version: 0 });
  return harness;
}

function everyQuery(tree: DataTree, paths: readonly string[]): Json[] {
  return paths.flatMap((path) => [
    tree.query({ type: 'getData', path }),
    tree.query({ type: 'getChildren', path }),
    tree.query({ type: 'exists', path }),
  ]) as Json[];
}

describe('snapshot and restore', () => {
  it('restores into a fresh tree with an equal digest and equal answers, counters and sessions included', () => {
    const original = populated();
    const copy = new TreeHarness();
    copy.tree.restore(original.tree.snapshot());
    copy.tree.invariants();
    copy.counter = original.counter;
    expect(copy.tree.digest()).toBe(original.tree.digest());
    const paths = ['/', '/app', '/app/locks', '/app/locks/lock-0000000000', '/app/locks/lock-0000000001', '/app/q', '/app/q/a', '/nope'];
    expect(everyQuery(copy.tree, paths)).toEqual(everyQuery(original.tree, paths));
    // The same writes give the same results on both: sequential counters and sessions came along.
    for (const harness of [original, copy]) {
      expect(harness.create('/app/q/item-', '', { sequential: true })).toBe('/app/q/item-0000000001');
      expect(harness.ok({ type: 'createSession', sessionId: 's1', timeoutMs: 1 })).toEqual({ sessionId: 's1', timeoutMs: 4000 });
      const closed = harness.write({ type: 'closeSession', sessionId: 's1' });
      expect(closed.txn).toEqual({ type: 'closeSession', sessionId: 's1', paths: ['/app/locks/lock-0000000000'] });
    }
    expect(copy.tree.digest()).toBe(original.tree.digest());
  });

  it('returns a fresh value that later writes do not change', () => {
    const harness = populated();
    const snapshot = harness.tree.snapshot();
    const frozen = JSON.stringify(snapshot);
    harness.ok({ type: 'setData', path: '/app', data: 'changed', version: -1 });
    harness.create('/app/q/new');
    harness.ok({ type: 'closeSession', sessionId: 's2' });
    expect(JSON.stringify(snapshot)).toBe(frozen);
    // Nor does restoring from it tie the tree to it.
    const copy = new DataTree();
    copy.restore(snapshot);
    const before = JSON.stringify(copy.snapshot());
    (snapshot as { nodes: { data: string }[] }).nodes[0]!.data = 'mutated';
    expect(JSON.stringify(copy.snapshot())).toBe(before);
  });

  it('round-trips through JSON text', () => {
    const harness = populated();
    const copy = new DataTree();
    copy.restore(JSON.parse(JSON.stringify(harness.tree.snapshot())) as Json);
    expect(copy.digest()).toBe(harness.tree.digest());
  });

  const valid = (): TreeSnapshot => new TreeHarness().tree.snapshot() as TreeSnapshot;
  const rootEntry = valid().nodes[0]!;
  const node = (path: string, fields: Partial<typeof rootEntry> = {}) => ({ ...rootEntry, path, ...fields });
  const malformed: readonly [string, Json, RegExp][] = [
    ['not an object', 'tree', /malformed data tree snapshot/],
    ['another format', { ...valid(), format: 'v0' }, /format/],
    ['a missing field', { format: SNAPSHOT_FORMAT, nodes: [] }, /sessions/],
    ['a node with a wrong type', { ...valid(), nodes: [{ ...rootEntry, version: 'one' }] }, /nodes\.0\.version/],
    ['a negative zxid', { ...valid(), nodes: [{ ...rootEntry, czxid: { epoch: -1, counter: 0 } }] }, /czxid\.epoch/],
    ['no root', { ...valid(), nodes: [] }, /no root/],
    ['an invalid path', { ...valid(), nodes: [rootEntry, node('/a/')] }, /must not end/],
    ['a duplicate znode', { ...valid(), nodes: [rootEntry, node('/a'), node('/a')] }, /\/a twice/],
    ['an orphan', { ...valid(), nodes: [rootEntry, node('/a/b')] }, /parent of \/a\/b is missing/],
    ['an unknown ephemeral owner', { ...valid(), nodes: [{ ...rootEntry, childCreates: 1 }, node('/e', { ephemeralOwner: 's9' })] }, /unknown session s9/],
    [
      'a child of an ephemeral',
      { ...valid(), sessions: [{ sessionId: 's1', timeoutMs: 1 }], nodes: [{ ...rootEntry, childCreates: 1 }, node('/e', { ephemeralOwner: 's1', childCreates: 1 }), node('/e/c')] },
      /child of an ephemeral/,
    ],
    ['fewer child creates than children', { ...valid(), nodes: [rootEntry, node('/a')] }, /1 children but 0 child creates/],
    ['a duplicate session', { ...valid(), sessions: [{ sessionId: 's1', timeoutMs: 1 }, { sessionId: 's1', timeoutMs: 2 }] }, /session s1 twice/],
  ];

  it.each(malformed)('refuses a snapshot with %s, and keeps its state', (_name, data, reason) => {
    const harness = populated();
    const before = harness.tree.digest();
    expect(() => harness.tree.restore(data)).toThrow(reason);
    expect(harness.tree.digest()).toBe(before);
  });
});

describe('digest', () => {
  it('tells apart states that differ only in a stat, a counter or a session', () => {
    const base = populated();
    const digests = new Set([base.tree.digest()]);
    const variants: ((harness: TreeHarness) => void)[] = [
      (harness) => harness.ok({ type: 'setData', path: '/app', data: 'config v2 ✓', version: -1 }), // same data, new version
      (harness) => harness.ok({ type: 'createSession', sessionId: 's3', timeoutMs: 1 }), // a session only
      (harness) => {
        harness.create('/app/q/tmp');
        harness.ok({ type: 'delete', path: '/app/q/tmp', version: -1 }); // same znodes, other counters
      },
    ];
    for (const change of variants) {
      const harness = populated();
      change(harness);
      digests.add(harness.tree.digest());
    }
    expect(digests.size).toBe(variants.length + 1);
  });

  it('is computed once per state, and again after every apply and restore', () => {
    const harness = populated();
    const stringify = vi.spyOn(JSON, 'stringify');
    try {
      const first = harness.tree.digest();
      expect(harness.tree.digest()).toBe(first);
      expect(stringify, 'whole-state serializations for two digests of one state').toHaveBeenCalledTimes(1);
      const saved = harness.tree.snapshot();
      harness.ok({ type: 'setData', path: '/app', data: 'changed', version: -1 });
      const changed = harness.tree.digest();
      expect(changed).not.toBe(first);
      harness.tree.restore(saved);
      expect(harness.tree.digest()).toBe(first);
      const fresh = new DataTree();
      fresh.restore(harness.tree.snapshot());
      expect(fresh.digest()).toBe(first);
    } finally {
      stringify.mockRestore();
    }
  });

  it('is 64 bits of two lanes, and the same for the same text', () => {
    expect(digest64('')).toMatch(/^[0-9a-f]{16}$/);
    expect(digest64('abc')).toBe(digest64('abc'));
    expect(digest64('abc')).not.toBe(digest64('abd'));
  });

  it('takes a snapshot and digest of 10k znodes in about 100 ms', () => {
    const harness = new TreeHarness({ checkInvariants: false });
    for (let top = 0; top < 100; top++) {
      harness.create(`/dir-${top}`, `top ${top}`);
      for (let leaf = 0; leaf < 99; leaf++) harness.create(`/dir-${top}/leaf-`, `data ${top}.${leaf}`, { sequential: true });
    }
    harness.tree.digest(); // warm up the JIT
    harness.create('/after-warm-up'); // a new state: its digest is not known yet
    const started = performance.now();
    const snapshot = harness.tree.snapshot() as TreeSnapshot;
    const digest = harness.tree.digest();
    const elapsedMs = performance.now() - started;
    expect(snapshot.nodes).toHaveLength(10_002);
    expect(digest).toMatch(/^[0-9a-f]{16}$/);
    harness.tree.invariants();
    console.log(`snapshot + digest of ${snapshot.nodes.length} znodes: ${elapsedMs.toFixed(1)} ms`);
    expect(elapsedMs).toBeLessThan(250); // ~100 ms is the target; the margin keeps slow CI green
  });
});
