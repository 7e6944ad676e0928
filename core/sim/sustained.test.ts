import { describe, expect, it } from 'vitest';
import type { ServerId } from '../types.ts';
import type { SimCluster } from './cluster.ts';
import { Prng } from './prng.ts';
import { injectSustainedFault, RejoinWatch } from './sustained.ts';

/** The parts of a simulated cluster RejoinWatch reads: the clock and who serves. */
function fakeCluster(sids: readonly ServerId[]) {
  const serving = new Set<ServerId>();
  const world = { now: 0 };
  const running = new Set<ServerId>(sids);
  const cluster = {
    world,
    options: { voters: sids.length },
    sids: () => [...sids],
    node: (sid: ServerId) => ({ serving: serving.has(sid) }),
    isRunning: (sid: ServerId) => running.has(sid),
    running: () => sids.filter((sid) => running.has(sid)),
    start: (sid: ServerId) => running.add(sid),
    crash: (sid: ServerId) => running.delete(sid),
    close: (sid: ServerId) => running.delete(sid),
  };
  // A stand-in with only what RejoinWatch uses; the real SimCluster needs a whole world.
  return { cluster: cluster as unknown as SimCluster, world, serving, running };
}

describe('RejoinWatch', () => {
  it('runs no rejoin clock before the cluster is founded, and starts it at the founding', () => {
    const { cluster, world, serving } = fakeCluster([1, 2, 3]);
    const watch = new RejoinWatch(cluster, 1_000);
    watch.started(3); // a voter of a brand-new cluster restarts before anyone served
    world.now = 5_000;
    expect(watch.overdue(), 'nobody can serve before the founding: not overdue').toBeNull();
    serving.add(1); // the cluster is founded at 5 s; server 3 has not served yet
    world.now = 5_900;
    expect(watch.overdue()).toBeNull();
    world.now = 6_200;
    expect(watch.overdue()).toEqual({ sid: 3, waitedMs: 1_200 });
  });

  it('counts a restarted server that serves within the bound as a rejoin', () => {
    const { cluster, world, serving } = fakeCluster([1, 2, 3]);
    const watch = new RejoinWatch(cluster, 1_000);
    serving.add(1).add(2);
    expect(watch.overdue()).toBeNull();
    world.now = 100;
    watch.started(3);
    world.now = 700;
    serving.add(3);
    expect(watch.overdue()).toBeNull();
    expect(watch.rejoins).toBe(1);
    expect(watch.slowestMs).toBe(600);
  });

  it('reports a restarted server that has not served within the bound once founded', () => {
    const { cluster, world, serving } = fakeCluster([1, 2, 3]);
    const watch = new RejoinWatch(cluster, 1_000);
    serving.add(1);
    watch.started(2);
    world.now = 1_001;
    expect(watch.overdue()).toEqual({ sid: 2, waitedMs: 1_001 });
    watch.stopped(2); // crashed again: no longer waited for
    expect(watch.overdue()).toBeNull();
  });

  it('stops no voter while another is restarted and not serving yet: it is no part of a quorum until it has synced', () => {
    const { cluster, serving, running } = fakeCluster([1, 2, 3]);
    const watch = new RejoinWatch(cluster, 1_000);
    serving.add(2).add(3);
    expect(watch.overdue()).toBeNull(); // founded
    running.delete(1);
    watch.stopped(1);
    running.add(1);
    watch.started(1); // server 1 restarts (perhaps blank): not serving yet
    for (let seed = 1; seed <= 50; seed++) {
      const fault = injectSustainedFault(cluster, new Prng(seed), watch);
      expect(fault, `seed ${seed}`).toBe('no fault');
      expect(running.size).toBe(3);
    }
    serving.add(1);
    expect(watch.overdue()).toBeNull(); // server 1 serves: it counts again
    const faults = new Set(Array.from({ length: 50 }, (_, seed) => {
      const fault = injectSustainedFault(cluster, new Prng(seed + 1), watch);
      running.add(1).add(2).add(3);
      return fault.split(' ')[0];
    }));
    expect(faults.has('crash') || faults.has('close'), 'a voter may stop once every other serves').toBe(true);
  });
});
