import { describe, expect, it } from 'vitest';
import type { KvOp } from './kv-machine.ts';
import type { Message } from '../messages.ts';
import type { ServerId } from '../types.ts';
import { Scenario } from './scenario.ts';
import { MARK } from '../marks.ts';

/**
 * Named liveness scenarios (issue 10): situations in which the cluster stayed safe but stalled,
 * or left a server out while looking healthy. Each asserts the time or the number of role
 * changes a user would notice, and runs under the StateChecker like every scenario.
 */

/** A server's incarnation is bumped on every return to LOOKING: equal numbers mean it never left its leader. */
function incarnation(s: Scenario, sid: ServerId): number {
  return s.node(sid).inspect().incarnation;
}

/**
 * One client writing back to back through `sid` (each put sent as soon as the previous one is
 * answered, as `npm run sim -- --load sustained` does) until the returned stop function is called.
 */
function writeBackToBack(s: Scenario, sid: ServerId, key: string): { stop: () => void; acknowledged: string[] } {
  const acknowledged: string[] = [];
  let stopped = false;
  let next = 0;
  const writeOne = (): void => {
    if (stopped || !s.cluster.isRunning(sid)) return;
    const value = `${key}-${next++}`;
    const op: KvOp = { type: 'put', key, value };
    s.node(sid).request('op', op, (result) => {
      if (result.ok) acknowledged.push(value);
      s.world.scheduleAfter(0, writeOne);
    });
  };
  s.world.scheduleAfter(0, writeOne);
  return { stop: () => (stopped = true), acknowledged };
}

describe('Cluster: rejoin: COMMITs that reach a learner during its synchronization', () => {
  it('the issue’s steps: COMMIT(1:5) before UPTODATE is accepted, and the joiner never goes LOOKING', async () => {
    const s = await Scenario.started({ voters: 3 });
    expect(s.leader()).toBe(3);
    for (let index = 1; index <= 3; index++) await s.write(3, 'k', `v${index}`);
    s.cluster.crash(2);
    await s.write(3, 'k', 'v4');
    s.cluster.storage(1).setWriteLatency(40, 40);
    const fifth = s.submit(3, 'k', 'v5');
    // When the leader sends NEWLEADER to S2, S2's disk becomes slower than S1's: COMMIT(1:5) then
    // reaches S2 after NEWLEADER and before UPTODATE.
    let commitsBeforeUpToDate = 0;
    s.onceSent((_from, to, message) => to === 2 && message.kind === 'NEWLEADER', () => s.cluster.storage(2).setWriteLatency(120, 120));
    s.cluster.onDelivery((_from, to, message) => {
      const server = s.cluster.node(2)?.inspect();
      if (to === 2 && (message as Message).kind === 'transaction_commit' && server && !server.serving) commitsBeforeUpToDate++;
    });
    s.cluster.start(2);
    const joined = incarnation(s, 2);
    await s.until(() => s.node(2).serving, 'S2 serves again', 3000);
    expect(commitsBeforeUpToDate).toBeGreaterThan(0);
    expect(incarnation(s, 2)).toBe(joined);
    expect(fifth.result).toEqual({ ok: true, value: null });
    expect(s.value(2, 'k')).toBe('v5');
  });

  it('a follower whose disk is slower than the leader’s rejoins under back-to-back writes within 2 s', async () => {
    const s = await Scenario.started({ voters: 3 });
    const leader = s.leader();
    const [joiner] = s.followers();
    const writer = writeBackToBack(s, leader, 'w');
    await s.run(300);
    s.cluster.crash(joiner!);
    await s.run(300);
    s.cluster.storage(joiner!).setWriteLatency(8, 12);
    s.cluster.start(joiner!);
    const joined = incarnation(s, joiner!);
    await s.until(() => s.node(joiner!).serving, 'the joiner serves again under load', 2000);
    expect(incarnation(s, joiner!)).toBe(joined);
    await s.run(300);
    writer.stop();
    await s.stabilize();
    expect(writer.acknowledged.length).toBeGreaterThan(50);
    expect(s.value(joiner!, 'w')).toBe(writer.acknowledged[writer.acknowledged.length - 1]);
  });

  it('an observer booted from an old disk rejoins under back-to-back writes: every inform of a proposal it holds is accepted', async () => {
    const s = await Scenario.started({ voters: 3, observers: 1 });
    const leader = s.leader();
    await s.write(leader, 'w', 'first');
    await s.stabilize();
    s.cluster.crash(4);
    const oldDisk = s.cluster.storage(4).state();
    const writer = writeBackToBack(s, leader, 'w');
    await s.run(300);
    s.cluster.storage(4).setWriteLatency(8, 12);
    s.bootFrom(4, oldDisk);
    const joined = incarnation(s, 4);
    await s.until(() => s.node(4).serving, 'the observer serves again under load', 2000);
    expect(incarnation(s, 4)).toBe(joined);
    await s.run(200);
    writer.stop();
    await s.stabilize();
    expect(s.value(4, 'w')).toBe(writer.acknowledged[writer.acknowledged.length - 1]);
  });
});

describe('Cluster: replayed and duplicated messages: a duplicate proposal', () => {
  it('a duplicate of a proposal the follower already logged is ignored, not a resync', async () => {
    const s = await Scenario.started({ voters: 3 });
    const leader = s.leader();
    const [follower] = s.followers();
    const proposals: Message[] = [];
    s.cluster.onDelivery((from, to, message) => {
      if (from === leader && to === follower && (message as Message).kind === 'transaction_proposal') proposals.push(message as Message);
    });
    for (let index = 0; index < 3; index++) await s.write(leader, 'a', `v${index}`);
    const before = incarnation(s, follower!);
    s.cluster.network.inject(leader, follower!, proposals[proposals.length - 1]);
    s.cluster.network.inject(leader, follower!, proposals[0]);
    await s.run(500);
    expect(incarnation(s, follower!)).toBe(before);
    expect(s.node(follower!).serving).toBe(true);
    expect(await s.write(leader, 'a', 'after')).toEqual({ ok: true, value: null });
    await s.stabilize();
    expect(s.value(follower!, 'a')).toBe('after');
  });
});

describe('Cluster: election after a leader crash converges fast', () => {
  it('an election that reaches a server still reloading its storage is answered once it has reloaded: one leader-elect', async () => {
    const s = await Scenario.started({ voters: 3 });
    expect(s.leader()).toBe(3);
    await s.write(3, 'a', 'before');
    // Both followers lose the leader in the same millisecond; S2's reload takes 30 ms longer,
    // so S1's `election` reaches it while it is recovering.
    s.delayStorage(2, 'load', 30);
    const claims = s.mark(MARK.becomesLeaderElect);
    const closedAt = s.world.now;
    s.cluster.close(3);
    await s.until(() => s.cluster.leader() !== null, 'a new leader is established', 2000);
    const elapsed = s.world.now - closedAt;
    expect(s.mark(MARK.becomesLeaderElect) - claims).toBe(1);
    // electionTimeout is 5 ticks of 20 ms: a round and its coordinator, not initLimit (500 ms).
    expect(elapsed).toBeLessThan(300);
    expect(s.cluster.leader()).toBe(2);
    expect(await s.write(2, 'a', 'after')).toEqual({ ok: true, value: null });
  });

  it('two candidates that both sent coordinator resolve by rank at once, not by waiting out initLimit', async () => {
    const s = await Scenario.started({ voters: 3 });
    expect(s.leader()).toBe(3);
    // S1 and S2 hear each other's `election` but never the answers, so each ends its round with `coordinator`.
    const answers = new Set(['higher_id', 'lower_id']);
    const release = s.drop((from, to, message) => from !== 3 && to !== 3 && answers.has(message.kind));
    s.cluster.close(3);
    await s.until(() => [1, 2].every((sid) => s.cluster.node(sid)!.inspect().state === 'LOOKING' && s.cluster.node(sid)!.inspect().incarnation > 0), 'both followers look');
    await s.run(10);
    // Their timers stop and start again together: both tick in step, so both rounds end in the same instant.
    s.pauseTimers(1);
    s.pauseTimers(2);
    await s.run(200);
    s.resumeTimers(1);
    s.resumeTimers(2);
    await s.until(() => [1, 2].every((sid) => s.node(sid).inspect().state !== 'LOOKING'), 'both end their round', 1000);
    expect([1, 2].map((sid) => s.node(sid).inspect().state)).toEqual(['LEADING', 'LEADING']);
    release();
    const bothClaimedAt = s.world.now;
    await s.until(() => s.cluster.leader() !== null, 'one of them is established', 2000);
    // initLimit is 25 ticks of 20 ms: the lower one must step back long before.
    expect(s.world.now - bothClaimedAt).toBeLessThan(200);
    expect(s.cluster.leader()).toBe(2);
    expect(s.node(1).inspect().state).toBe('FOLLOWING');
    expect(await s.write(2, 'a', 'after')).toEqual({ ok: true, value: null });
  });
});
