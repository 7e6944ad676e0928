import { describe, expect, it } from 'vitest';
import type { PersistOp, PersistedState } from '../storage.ts';
import type { Proposal } from '../types.ts';
import { formatZxid, zxid } from '../zxid.ts';
import { Prng } from './prng.ts';
import { SimStorage } from './sim-storage.ts';
import { SimWorld } from './world.ts';

function proposal(epoch: number, counter: number): Proposal {
  return { zxid: zxid(epoch, counter), txn: { originator: 1, requestId: counter, type: 'op', op: null } };
}

function append(epoch: number, from: number, to: number): PersistOp {
  const proposals: Proposal[] = [];
  for (let counter = from; counter <= to; counter++) proposals.push(proposal(epoch, counter));
  return { kind: 'appendProposals', proposals };
}

function logZxids(state: PersistedState): string[] {
  return state.log.map((entry) => formatZxid(entry.zxid));
}

function setup(seed = 1, latency: [number, number] = [2, 6]) {
  const world = new SimWorld();
  const disk = new SimStorage(world, new Prng(seed), { writeLatencyMsMin: latency[0], writeLatencyMsMax: latency[1] });
  return { world, disk };
}

describe('SimStorage', () => {
  it('makes a write durable only when it completes, after the latency', async () => {
    const { world, disk } = setup(1, [5, 5]);
    const storage = disk.open();
    let doneAt = -1;
    void storage.write([append(1, 1, 2)]).then(() => (doneAt = world.now));
    expect(disk.writesInFlight).toBe(1);
    await world.runUntil(4);
    expect(disk.state().log).toEqual([]);
    await world.runUntil(10);
    expect(doneAt).toBe(5);
    expect(logZxids(disk.state())).toEqual(['1:1', '1:2']);
    expect(disk.counters).toMatchObject({ writes: 1, batches: 1, ops: 1 });
  });

  it('completes writes in issue order, whatever their latencies', async () => {
    const { world, disk } = setup(2, [1, 30]);
    const storage = disk.open();
    const completed: number[] = [];
    for (let i = 1; i <= 20; i++) void storage.write([append(1, i, i)]).then(() => completed.push(i));
    await world.runUntil(1000);
    expect(completed).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(disk.state().log).toHaveLength(20);
  });

  it('throws a bad batch to the caller at once, writing nothing', () => {
    const { disk } = setup();
    const storage = disk.open();
    void storage.write([append(1, 1, 1)]);
    expect(() => storage.write([append(1, 3, 3)])).toThrow(/1:3 does not follow last zxid 1:1/);
    expect(disk.counters.writes).toBe(1);
  });

  it('loads the durable state after a latency, behind earlier writes', async () => {
    const { world, disk } = setup(3);
    const storage = disk.open();
    void storage.write([{ kind: 'saveEpochs', acceptedEpoch: 2, currentEpoch: 1 }]);
    const loaded = await (async () => {
      const pending = storage.loadState();
      await world.runUntil(100);
      return pending;
    })();
    expect(loaded.acceptedEpoch).toBe(2);
  });

  it('crash: a batch in flight lands entirely or not at all, and both happen', async () => {
    // Goal: write batches are atomic across crashes. Method: over many seeds, crash at a random
    // time while a multi-op batch is in flight; the reloaded state holds all of it or none.
    const outcomes = new Set<string>();
    for (let seed = 1; seed <= 200; seed++) {
      const { world, disk } = setup(seed, [5, 20]);
      const prng = new Prng(seed * 7919);
      const storage = disk.open();
      let settled = false;
      void storage
        .write([{ kind: 'saveEpochs', acceptedEpoch: 1, currentEpoch: 1 }, append(1, 1, 3)])
        .then(() => (settled = true));
      await world.runUntil(prng.int(0, 4));
      disk.crash();
      await world.runUntil(100);
      expect(settled).toBe(false);
      const state = await loadAfterRestart(world, disk);
      const landed = state.acceptedEpoch === 1;
      expect(state.currentEpoch).toBe(landed ? 1 : 0);
      expect(logZxids(state)).toEqual(landed ? ['1:1', '1:2', '1:3'] : []);
      outcomes.add(landed ? 'landed' : 'lost');
    }
    expect([...outcomes].sort()).toEqual(['landed', 'lost']);
  });

  it('crash: of several writes in flight, a prefix lands', async () => {
    const prefixLengths = new Set<number>();
    for (let seed = 1; seed <= 100; seed++) {
      const { world, disk } = setup(seed, [5, 20]);
      const storage = disk.open();
      for (let i = 1; i <= 3; i++) void storage.write([append(1, i, i)]);
      disk.crash();
      const state = await loadAfterRestart(world, disk);
      const length = state.log.length;
      expect(logZxids(state)).toEqual(['1:1', '1:2', '1:3'].slice(0, length));
      expect(disk.counters.batchesLandedAtCrash + disk.counters.batchesLostAtCrash).toBe(3);
      prefixLengths.add(length);
    }
    expect([...prefixLengths].sort()).toEqual([0, 1, 2, 3]);
  });

  it('never settles calls on a dead handle; one live handle at a time', async () => {
    const { world, disk } = setup(4);
    const old = disk.open();
    expect(() => disk.open()).toThrow(/a live handle exists/);
    const load = old.loadState();
    disk.crash();
    let settled = 0;
    void load.then(() => settled++);
    void old.write([append(1, 1, 1)]).then(() => settled++);
    void old.loadState().then(() => settled++);
    const fresh = disk.open();
    void fresh.write([append(1, 1, 1)]).then(() => settled++);
    await world.runUntil(100);
    expect(settled).toBe(1);
    expect(logZxids(disk.state())).toEqual(['1:1']);
    expect(world.pendingEvents).toBe(0);
  });

  it('continues the driver at the completion time of its write', async () => {
    const { world, disk } = setup(5, [3, 3]);
    const storage = disk.open();
    const log: string[] = [];
    void (async () => {
      await storage.write([append(1, 1, 1)]);
      log.push(`acked@${world.now}`);
    })();
    world.schedule(3, () => log.push('event@3'));
    world.schedule(4, () => log.push('event@4'));
    await world.runUntil(10);
    // The write's event was scheduled first, so at t=3 it completes before 'event@3' runs; the
    // continuation runs right after it, before the next event.
    expect(log).toEqual(['acked@3', 'event@3', 'event@4']);
  });
});

async function loadAfterRestart(world: SimWorld, disk: SimStorage): Promise<PersistedState> {
  const pending = disk.open().loadState();
  await world.runUntil(world.now + 100);
  return pending;
}
