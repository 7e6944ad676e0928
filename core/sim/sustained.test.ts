import { describe, expect, it } from 'vitest';
import type { ServerId } from '../types.ts';
import type { SimCluster } from './cluster.ts';
import { RejoinWatch } from './sustained.ts';

/** The parts of a simulated cluster RejoinWatch reads: the clock and who serves. */
function fakeCluster(sids: readonly ServerId[]) {
  const serving = new Set<ServerId>();
  const world = { now: 0 };
  const cluster = {
    world,
    sids: () => [...sids],
    node: (sid: ServerId) => ({ serving: serving.has(sid) }),
  };
  // A stand-in with only what RejoinWatch uses; the real SimCluster needs a whole world.
  return { cluster: cluster as unknown as SimCluster, world, serving };
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
});
