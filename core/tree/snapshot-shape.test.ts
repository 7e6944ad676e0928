import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { hasTreeSnapshotShape } from './snapshot-shape.ts';
import { TreeSnapshotSchema, type TreeSnapshot } from './snapshot.ts';
import { TreeHarness } from './testing.ts';

/** A snapshot with sessions, an ephemeral and nested znodes. */
function validSnapshot(): TreeSnapshot {
  const harness = new TreeHarness();
  harness.ok({ type: 'createSession', sessionId: 's1', timeoutMs: 5000 });
  harness.create('/app', 'config ✓');
  harness.create('/app/q', '');
  harness.create('/app/e', 'mine', { ephemeral: true, sessionId: 's1' });
  return harness.tree.snapshot() as TreeSnapshot;
}

/** Values of every wrong (and some right) kind a field may be replaced with. */
const ODD_VALUES: readonly unknown[] = [null, -1, 0, 1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, -0, '', 'x', '1', true, [], {}, { epoch: 0 }, { epoch: 0, counter: 0 }, { epoch: 0, counter: 0, extra: 1 }, { epoch: -1, counter: 0 }, { epoch: 1.5, counter: 0 }];

/** Every way of changing one field of `target` (each odd value, removed, or an extra key); each is applied to a fresh snapshot. */
function* variants(target: Record<string, unknown>): Generator<() => void> {
  for (const key of Object.keys(target)) {
    for (const value of ODD_VALUES) {
      yield () => {
        target[key] = value;
      };
    }
    yield () => {
      delete target[key];
    };
  }
  yield () => {
    target.extra = 1;
  };
}

describe('hasTreeSnapshotShape', () => {
  it('accepts a valid snapshot, as the schema does', () => {
    const snapshot = validSnapshot();
    expect(v.safeParse(TreeSnapshotSchema, snapshot).success).toBe(true);
    expect(hasTreeSnapshotShape(snapshot)).toBe(true);
  });

  it('answers as TreeSnapshotSchema for every one-field change of the snapshot, a node, a zxid and a session', () => {
    // Paths into a fresh valid snapshot of the objects whose fields are changed.
    const targets: readonly ((snapshot: TreeSnapshot) => Record<string, unknown>)[] = [
      (snapshot) => snapshot as unknown as Record<string, unknown>,
      (snapshot) => snapshot.nodes[0] as unknown as Record<string, unknown>,
      (snapshot) => snapshot.nodes[3] as unknown as Record<string, unknown>,
      (snapshot) => snapshot.nodes[1]!.czxid as unknown as Record<string, unknown>,
      (snapshot) => snapshot.nodes[2]!.pzxid as unknown as Record<string, unknown>,
      (snapshot) => snapshot.sessions[0] as unknown as Record<string, unknown>,
    ];
    let compared = 0;
    for (const target of targets) {
      const count = [...variants(target(validSnapshot()))].length;
      for (let index = 0; index < count; index++) {
        const snapshot = validSnapshot();
        [...variants(target(snapshot))][index]!();
        const schema = v.safeParse(TreeSnapshotSchema, snapshot).success;
        expect(hasTreeSnapshotShape(snapshot), `${JSON.stringify(snapshot).slice(0, 400)}`).toBe(schema);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(500);
  });

  it('refuses what is not a snapshot object at all', () => {
    for (const value of [null, 'tree', 1, [], { format: 'tabkeeper.data-tree.v1', nodes: {}, sessions: [] }, { format: 'v0', nodes: [], sessions: [] }]) {
      expect(hasTreeSnapshotShape(value)).toBe(false);
      expect(v.safeParse(TreeSnapshotSchema, value).success).toBe(false);
    }
  });
});
