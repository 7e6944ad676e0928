import { describe, expect, it } from 'vitest';
import type { Applied } from '../state-machine.ts';
import type { Json } from '../types.ts';
import { formatZxid, zxid } from '../zxid.ts';
import { DataTree } from './data-tree.ts';
import type { MultiOp, WriteRequest } from './requests.ts';
import { seededRandom } from '../sim/prng.ts';

// Goal: apply is deterministic, so servers fed the same txns have equal states, and prepare never
// changes the tree. Method: a seeded PRNG draws requests over a small set of paths and sessions
// (so they collide and fail often); a leader prepares each on its tree and applies it at once, as
// on its speculative copy; followers apply the same txns, sent as JSON text, some steps later, one
// of them restarting from a snapshot halfway. Digests are compared at every zxid.

const PATHS = ['/a', '/b', '/a/x', '/a/y', '/b/z', '/a/x/deep'] as const;
const SEQUENTIAL_PREFIXES = ['/a/s-', '/b/', '/'] as const;
const SESSIONS = ['s1', 's2', 's3'] as const;

class RequestDrawer {
  constructor(private readonly random: () => number) {}

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  version(): number {
    return this.random() < 0.5 ? -1 : Math.floor(this.random() * 3);
  }

  session(): string | null {
    return this.random() < 0.3 ? null : this.pick(SESSIONS);
  }

  op(sessionId: string | null): MultiOp {
    const roll = this.random();
    if (roll < 0.4) {
      const sequential = this.random() < 0.3;
      const ephemeral = sessionId !== null && this.random() < 0.4;
      const path = sequential ? this.pick(SEQUENTIAL_PREFIXES) : this.pick(PATHS);
      return { type: 'create', path, data: `d${Math.floor(this.random() * 100)}`, ephemeral, sequential };
    }
    if (roll < 0.65) return { type: 'delete', path: this.pick(PATHS), version: this.version() };
    if (roll < 0.9) return { type: 'setData', path: this.pick(PATHS), data: `v${Math.floor(this.random() * 100)}`, version: this.version() };
    return { type: 'check', path: this.pick(PATHS), version: this.version() };
  }

  request(): WriteRequest {
    const roll = this.random();
    const sessionId = this.session();
    if (roll < 0.08) return { type: 'createSession', sessionId: this.pick(SESSIONS), timeoutMs: 1000 + Math.floor(this.random() * 9000) };
    if (roll < 0.13) return { type: 'closeSession', sessionId: this.pick(SESSIONS) };
    if (roll < 0.33) {
      const ops = Array.from({ length: 1 + Math.floor(this.random() * 4) }, () => this.op(sessionId));
      return { type: 'multi', sessionId, ops };
    }
    const op = this.op(sessionId);
    if (op.type === 'check') return { type: 'setData', path: op.path, data: 'c', version: op.version };
    return op.type === 'create' ? { ...op, sessionId } : op;
  }
}

function runSeed(seed: number, steps: number): Set<string> {
  const random = seededRandom(seed);
  const drawer = new RequestDrawer(random);
  const leader = new DataTree();
  let followers = [new DataTree(), new DataTree()];
  const log: { txnText: string; zxid: ReturnType<typeof zxid>; applied: Applied; digest: string }[] = [];
  const applied = [0, 0];
  const outcomes = new Set<string>();

  const catchUp = (index: number, upTo: number): void => {
    const follower = followers[index]!;
    for (; applied[index]! < upTo; applied[index]!++) {
      const entry = log[applied[index]!]!;
      const result = follower.apply(JSON.parse(entry.txnText) as Json, entry.zxid);
      expect(result, `seed ${seed} follower ${index} at ${formatZxid(entry.zxid)}`).toEqual(entry.applied);
      expect(follower.digest(), `seed ${seed} follower ${index} at ${formatZxid(entry.zxid)}`).toBe(entry.digest);
    }
  };

  for (let step = 1; step <= steps; step++) {
    const request = drawer.request();
    expect(leader.validateOp(request), JSON.stringify(request)).toBeNull();
    const before = leader.digest();
    const txn = leader.prepare(request, { timeMs: 10 * step });
    expect(leader.digest(), `seed ${seed} step ${step}: prepare changed the tree`).toBe(before);
    const at = zxid(1, step);
    const result = leader.apply(txn, at);
    leader.invariants();
    outcomes.add(result.result.ok ? `${request.type} ok` : `${request.type} ${result.result.error}`);
    log.push({ txnText: JSON.stringify(txn), zxid: at, applied: result, digest: leader.digest() });
    // Followers lag behind by a random number of txns, as commits arrive in batches.
    for (const index of [0, 1]) if (random() < 0.3) catchUp(index, log.length);
    if (step === Math.floor(steps / 2)) {
      // A follower that was sent a snapshot (SNAP) instead of the txns it missed.
      catchUp(0, log.length);
      const restored = new DataTree();
      restored.restore(JSON.parse(JSON.stringify(followers[0]!.snapshot())) as Json);
      followers = [followers[0]!, restored];
      applied[1] = log.length;
    }
  }
  catchUp(0, log.length);
  catchUp(1, log.length);
  for (const follower of followers) expect(follower.snapshot()).toEqual(leader.snapshot());
  return outcomes;
}

describe('determinism', () => {
  it('keeps a leader and its followers equal at every zxid, over seeded random histories', () => {
    const outcomes = new Set<string>();
    for (const seed of [1, 2, 3, 42, 20240601, 0xdeadbeef]) {
      for (const outcome of runSeed(seed, 400)) outcomes.add(outcome);
    }
    // The histories reach every outcome that matters, or they prove little.
    for (const expected of [
      'create ok',
      'create NoNode',
      'create NodeExists',
      'create NoChildrenForEphemerals',
      'create SessionExpired',
      'delete ok',
      'delete NoNode',
      'delete BadVersion',
      'delete NotEmpty',
      'setData ok',
      'setData BadVersion',
      'multi ok',
      'multi NoNode',
      'multi BadVersion',
      'multi SessionExpired',
      'createSession ok',
      'closeSession ok',
    ]) {
      expect(outcomes, expected).toContain(expected);
    }
  });

  it('gives the same txns from the same seed', () => {
    const draw = (seed: number) => {
      const drawer = new RequestDrawer(seededRandom(seed));
      const tree = new DataTree();
      return Array.from({ length: 50 }, (_, index) => {
        const txn = tree.prepare(drawer.request(), { timeMs: index });
        tree.apply(txn, zxid(1, index + 1));
        return txn;
      });
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
  });
});
