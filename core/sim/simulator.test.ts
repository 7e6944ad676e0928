import { describe, expect, it } from 'vitest';
import { runSeed } from './run-seed.ts';

/**
 * Goal: the safety and liveness properties (docs/ARCHITECTURE.md) hold under random schedules of crashes,
 * restarts with storage kept, partitions (asymmetric too), congestion, slow disks and clock
 * skew. Method: VOPR-style seeds (core/sim/run-seed.ts); each seed checks one leader per epoch,
 * prefix agreement, no lost commit, linearizability, and convergence once faults stop.
 * `npm run sim -- --seeds 2000` runs many more; a failure names the command that replays it.
 */
async function runSeeds(first: number, count: number, voters: number, observers: number, workload: 'kv' | 'tree' = 'kv'): Promise<void> {
  const failures: string[] = [];
  let committed = 0;
  for (let seed = first; seed < first + count; seed++) {
    const result = await runSeed({ seed, voters, observers, trace: false, workload });
    committed += result.committed;
    if (!result.ok) {
      const replay = `npm run sim -- --seed ${seed} --servers ${voters}${observers ? ` --observers ${observers}` : ''}${workload === 'tree' ? ' --workload tree' : ''}`;
      failures.push(`seed ${seed} failed; replay: ${replay}\n${result.summary}\n${result.failure}`);
    }
  }
  expect(failures, failures.join('\n\n')).toEqual([]);
  // The runs did real work: clients committed writes in every configuration.
  expect(committed).toBeGreaterThan(count * 20);
}

describe('simulator seeds', () => {
  it('3 voters: 300 seeds keep every safety property and recover once faults stop', async () => {
    await runSeeds(1, 300, 3, 0);
  });

  it('1 voter (a cluster of one tab) and an observer: 100 seeds', async () => {
    await runSeeds(400_001, 100, 1, 1);
  });

  it('5 voters and an observer: 200 seeds keep every safety property and recover', async () => {
    await runSeeds(100_001, 200, 5, 1);
  });

  it('the ZooKeeper API on the data tree: 100 seeds of 3 voters, 40 of 5 voters and an observer', async () => {
    // Histories of creates, setData, deletes and synced reads are checked against the ZooKeeper
    // model; plain reads for never going back in time; digests after every txn at equal zxids.
    await runSeeds(200_001, 100, 3, 0, 'tree');
    await runSeeds(300_001, 40, 5, 1, 'tree');
  });
});
