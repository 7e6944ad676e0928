import { describe, expect, it } from 'vitest';
import type { ServerId } from '../types.ts';
import { Scenario, type Pending } from './scenario.ts';

/**
 * Goal: every persisted state a crash can leave behind — after or during each write of a
 * proposal, an epoch, a sync (TRUNC / DIFF / SNAP) or a snapshot — boots, rejoins and keeps
 * every committed txn (docs/ARCHITECTURE.md, the safety rules). Method: for k = 1, 2, …, crash one server when
 * its k-th storage write has been issued (the write in flight then lands or not, as the
 * simulated disk decides) or has become durable, restart it, and check that every write a
 * client saw succeed is on every server.
 */

interface Workload {
  readonly scenario: Scenario;
  readonly acknowledged: string[];
  stop(): void;
}

/** Writes distinct keys through whichever server leads, one after another, remembering what succeeded. */
function startWorkload(scenario: Scenario): Workload {
  const acknowledged: string[] = [];
  let stopped = false;
  let next = 0;
  const issue = () => {
    if (stopped) return;
    const leader = scenario.cluster.leader();
    if (leader === null) {
      scenario.world.scheduleAfter(20, issue);
      return;
    }
    const key = `w${next++}`;
    const pending: Pending = scenario.submit(leader, key, key);
    const wait = () => {
      if (pending.result === null) return void scenario.world.scheduleAfter(2, wait);
      if (pending.result.ok) acknowledged.push(key);
      scenario.world.scheduleAfter(1, issue);
    };
    wait();
  };
  issue();
  return { scenario, acknowledged, stop: () => (stopped = true) };
}

async function crashAtWrite(scenario: Scenario, sid: ServerId, k: number, durable: boolean): Promise<void> {
  const counters = scenario.cluster.storage(sid).counters;
  const start = durable ? counters.batches : counters.writes;
  await scenario.until(() => (durable ? counters.batches : counters.writes) >= start + k, `server ${sid} reaches its write ${k}`);
  scenario.cluster.crash(sid);
}

async function checkEverythingAcknowledgedSurvives(workload: Workload): Promise<void> {
  const scenario = workload.scenario;
  await scenario.run(200);
  workload.stop();
  const leader = await scenario.stabilize();
  expect(await scenario.write(leader, 'final', 'final')).toEqual({ ok: true, value: null });
  await scenario.stabilize();
  for (const sid of scenario.cluster.running()) {
    for (const key of workload.acknowledged) expect(scenario.value(sid, key), `server ${sid} lost ${key}`).toBe(key);
  }
}

// Disks slower than the network: a proposal is acked over the network long before a careless
// server would have it on disk, so acking early would show here as a lost write.
/**
 * Crashes every server 12 ms after server `key` issued its k-th write — while that write is
 * still in flight, so it lands or not — then restarts all but the `lastIndex`-th server, lets
 * them elect, and brings that one back last. Any two servers are a quorum: what was acked, and
 * what the leader answered clients, must be on them whichever writes landed.
 */
async function crashAllWhileWriting(scenario: Scenario, key: ServerId, k: number, lastIndex: number): Promise<void> {
  const counters = scenario.cluster.storage(key).counters;
  const start = counters.writes;
  await scenario.until(() => counters.writes >= start + k, `server ${key} reaches its write ${k}`);
  await scenario.run(12);
  for (const sid of scenario.cluster.running()) scenario.cluster.crash(sid);
  const last = scenario.cluster.sids()[lastIndex]!;
  for (const sid of scenario.cluster.sids()) if (sid !== last) scenario.cluster.start(sid);
  await scenario.stabilize();
  scenario.cluster.start(last);
}

const options = { voters: 3, snapshotEveryTxns: 4, retainLogTxns: 1, writeLatencyMs: [6, 10] } as const;

describe('crash points: every state a crash leaves behind boots and keeps every committed txn', () => {
  it('the leader crashed at each of its first 24 writes (issued, then durable)', async () => {
    for (let k = 1; k <= 24; k++) {
      for (const durable of [false, true]) {
        const scenario = await Scenario.started({ ...options, seed: k });
        const workload = startWorkload(scenario);
        const leader = scenario.leader();
        await crashAtWrite(scenario, leader, k, durable);
        await scenario.run(100);
        scenario.cluster.start(leader);
        await checkEverythingAcknowledgedSurvives(workload);
      }
    }
  });

  it('a follower crashed at each write of its sync and of its first proposals after a restart', async () => {
    for (let k = 1; k <= 16; k++) {
      for (const durable of [false, true]) {
        const scenario = await Scenario.started({ ...options, seed: 100 + k });
        const follower = scenario.followers()[0]!;
        scenario.cluster.crash(follower);
        const workload = startWorkload(scenario);
        await scenario.until(() => workload.acknowledged.length >= 12, 'a dozen writes while the follower is down');
        // It rejoins behind the compacted log: SNAP, DIFF, epochs — and is crashed in the middle.
        scenario.cluster.start(follower);
        await crashAtWrite(scenario, follower, k, durable);
        scenario.cluster.start(follower);
        await checkEverythingAcknowledgedSurvives(workload);
      }
    }
  });

  it('all servers crashed at once while a write is in flight, each server back last in turn', async () => {
    for (let k = 1; k <= 10; k++) {
      for (const keyRole of ['leader', 'follower'] as const) {
        for (const lastIndex of [0, 1, 2]) {
          const scenario = await Scenario.started({ ...options, seed: 200 + k });
          const workload = startWorkload(scenario);
          const leader = scenario.leader();
          const key = keyRole === 'leader' ? leader : scenario.followers()[0]!;
          // The key server's disk is the slowest: its acks, or its own vote as leader, would come
          // before its write is durable if it ever counted a write too early.
          scenario.cluster.storage(key).setWriteLatency(20, 30);
          await crashAllWhileWriting(scenario, key, k, lastIndex);
          await checkEverythingAcknowledgedSurvives(workload);
        }
      }
    }
  });

  it('disks of different speeds: only one fast follower holds the newest writes when everything crashes', async () => {
    for (let k = 1; k <= 10; k++) {
      for (const lastIndex of [0, 1, 2]) {
        const scenario = await Scenario.started({ ...options, seed: 300 + k });
        const workload = startWorkload(scenario);
        const leader = scenario.leader();
        const [slowFollower] = scenario.followers();
        // The leader's and one follower's disks are slow: for a while the fast follower is the
        // only server on which the newest proposal is durable. Nothing may be committed then.
        scenario.cluster.storage(leader).setWriteLatency(20, 30);
        scenario.cluster.storage(slowFollower!).setWriteLatency(20, 30);
        await crashAllWhileWriting(scenario, leader, k, lastIndex);
        await checkEverythingAcknowledgedSurvives(workload);
      }
    }
  });
});
