import { describe, expect, it } from 'vitest';
import type { Message } from '../messages.ts';
import type { ServerId } from '../types.ts';
import { Scenario } from './scenario.ts';
import { MARK, STEP_DOWN, STEP_DOWN_CAUSES } from '../marks.ts';

/**
 * Named scenarios: each drives one of the situations in which real ZAB implementations lost
 * data (docs/ARCHITECTURE.md, the safety rules), asserts the outcome a user would notice, and runs
 * under the StateChecker (one leader per epoch, prefix agreement, no lost commit).
 */

describe('Cluster: leader crashes after proposing, before committing', () => {
  it('a proposal a quorum stored survives the crash and is committed by the next leader', async () => {
    const s = await Scenario.started({ voters: 3 });
    const leader = s.leader();
    const followers = s.followers();
    await s.write(leader, 'a', 'before');
    // The followers store and ack the proposal, but the leader never hears their acks.
    s.drop((_from, to, message) => to === leader && message.kind === 'transaction_acknowledge');
    const pending = s.submit(leader, 'a', 'stored-by-quorum');
    await s.until(() => followers.every((sid) => s.durablyLogged(sid, 'stored-by-quorum')), 'both followers stored the proposal');
    expect(s.committed('stored-by-quorum')).toBe(false);

    s.cluster.crash(leader);
    s.deliverAll();
    const next = await s.stabilize();
    expect(followers).toContain(next);
    expect(pending.result).toEqual({ ok: false, error: 'ConnectionLoss' });
    for (const sid of followers) expect(s.value(sid, 'a')).toBe('stored-by-quorum');

    s.cluster.start(leader);
    await s.stabilize();
    expect(s.value(leader, 'a')).toBe('stored-by-quorum');
  });

  it('a proposal only the crashed leader stored is truncated when it rejoins', async () => {
    const s = await Scenario.started({ voters: 3 });
    const leader = s.leader();
    await s.write(leader, 'a', 'before');
    s.drop((from, _to, message) => from === leader && message.kind === 'transaction_proposal');
    s.submit(leader, 'a', 'only-on-leader');
    await s.until(() => s.durablyLogged(leader, 'only-on-leader'), 'the leader stored its own proposal');

    s.cluster.crash(leader);
    s.deliverAll();
    const next = await s.stabilize();
    expect(await s.write(next, 'a', 'after')).toEqual({ ok: true, value: null });

    const truncations = s.mark(MARK.followerTrunc);
    s.cluster.start(leader);
    await s.stabilize();
    expect(s.mark(MARK.followerTrunc)).toBeGreaterThan(truncations);
    expect(s.durablyLogged(leader, 'only-on-leader')).toBe(false);
    expect(s.committed('only-on-leader')).toBe(false);
    for (const sid of s.cluster.running()) expect(s.value(sid, 'a')).toBe('after');
  });
});

describe('Cluster: network: partition in an old epoch', () => {
  it('a follower holding an uncommitted proposal of an old epoch is TRUNCated on rejoin', async () => {
    const s = await Scenario.started({ voters: 5 });
    const leader = s.leader();
    const [holder, ...others] = s.followers();
    // Only `holder` receives the proposal, and its ack is lost: it is never committed.
    s.drop((from, to, message) =>
      (from === leader && to !== holder && message.kind === 'transaction_proposal') || (from === holder && message.kind === 'transaction_acknowledge'),
    );
    s.submit(leader, 'a', 'uncommitted');
    await s.until(() => s.durablyLogged(holder!, 'uncommitted'), 'the holder stored the proposal');

    s.cluster.network.partition([[leader, holder!], others], { notify: false });
    s.deliverAll();
    await s.until(() => others.some((sid) => s.cluster.node(sid)!.inspect().state === 'LEADING' && s.cluster.node(sid)!.inspect().serving), 'the majority elects a leader');
    const next = s.cluster.leader()!;
    expect(others).toContain(next);
    expect(await s.write(next, 'a', 'new-epoch')).toEqual({ ok: true, value: null });

    const truncations = s.mark(MARK.followerTrunc);
    s.cluster.network.heal();
    await s.stabilize();
    expect(s.mark(MARK.followerTrunc)).toBeGreaterThan(truncations);
    for (const sid of s.cluster.running()) {
      expect(s.durablyLogged(sid, 'uncommitted')).toBe(false);
      expect(s.value(sid, 'a')).toBe('new-epoch');
    }
  });
});

describe('Cluster: log compaction', () => {
  it('a follower behind the leader’s compacted log gets SNAP and catches up', async () => {
    const s = await Scenario.started({ voters: 3, snapshotEveryTxns: 10, retainLogTxns: 2 });
    const leader = s.leader();
    const [behind] = s.followers();
    s.cluster.crash(behind!);
    for (let index = 0; index < 40; index++) await s.write(leader, `k${index % 5}`, `v${index}`);
    expect(s.mark(MARK.logCompacted)).toBeGreaterThan(0);

    const snaps = s.mark(MARK.followerSnap);
    s.cluster.start(behind!);
    await s.stabilize();
    expect(s.mark(MARK.followerSnap)).toBeGreaterThan(snaps);
    for (let key = 0; key < 5; key++) expect(s.value(behind!, `k${key}`)).toBe(s.value(leader, `k${key}`));
    expect(s.node(behind!).view().digest).toBe(s.node(leader).view().digest);
  });
});

describe('Cluster: network: isolate the leader (silent)', () => {
  it('a leader cut off from its quorum steps down and commits nothing', async () => {
    const s = await Scenario.started({ voters: 3 });
    const leader = s.leader();
    const others = s.followers();
    await s.write(leader, 'a', 'before');
    s.cluster.network.partition([[leader], others], { notify: false });
    const pending = s.submit(leader, 'a', 'cut-off');

    const stepDowns = s.mark(STEP_DOWN.lostQuorum);
    await s.until(() => s.cluster.node(leader)!.inspect().state !== 'LEADING', 'the isolated leader steps down');
    expect(s.mark(STEP_DOWN.lostQuorum)).toBeGreaterThan(stepDowns);
    expect(pending.result).toEqual({ ok: false, error: 'ConnectionLoss' });
    expect(s.committed('cut-off')).toBe(false);

    await s.until(() => others.includes(s.cluster.leader() ?? -1), 'the other two elect a leader');
    expect(await s.write(s.leader(), 'a', 'majority')).toEqual({ ok: true, value: null });
    s.cluster.network.heal();
    await s.stabilize();
    expect(s.committed('cut-off')).toBe(false);
    for (const sid of s.cluster.running()) expect(s.value(sid, 'a')).toBe('majority');
  });
});

describe('Cluster: restart all', () => {
  it('all servers restart at once and come back with the same committed state', async () => {
    const s = await Scenario.started({ voters: 3, snapshotEveryTxns: 7, retainLogTxns: 3 });
    for (let index = 0; index < 30; index++) await s.write(s.leader(), `k${index % 4}`, `v${index}`);
    await s.stabilize();
    const digest = s.node(s.leader()).view().digest;
    const values = [0, 1, 2, 3].map((key) => s.value(s.leader(), `k${key}`));

    for (const sid of s.cluster.running()) s.cluster.crash(sid);
    s.cluster.startAll();
    const leader = await s.stabilize();
    for (const sid of s.cluster.running()) {
      expect(s.node(sid).view().digest).toBe(digest);
      expect([0, 1, 2, 3].map((key) => s.value(sid, `k${key}`))).toEqual(values);
    }
    expect(await s.write(leader, 'k0', 'after-restart')).toEqual({ ok: true, value: null });
  });
});

describe('Cluster: replayed and duplicated messages', () => {
  it('old-epoch messages delivered again, and duplicates of idempotent ones, change nothing', async () => {
    const s = await Scenario.started({ voters: 3 });
    const recorded: { from: ServerId; to: ServerId; message: Message }[] = [];
    s.cluster.onDelivery((from, to, message) => recorded.push({ from, to, message: message as Message }));
    // Move leadership around until the current leader also led an earlier epoch: its own
    // old-epoch messages are then among those replayed.
    let leader = s.leader();
    const ledBefore = (sid: ServerId) => [...s.cluster.checker.leaders()].some(([epoch, each]) => each === sid && epoch < s.node(sid).inspect().currentEpoch);
    for (let round = 0; round < 8 && !ledBefore(leader); round++) {
      for (let index = 0; index < 3; index++) await s.write(leader, 'a', `round${round}-${index}`);
      s.cluster.crash(leader);
      await s.stabilize();
      s.cluster.start(leader);
      leader = await s.stabilize();
    }
    expect(ledBefore(leader)).toBe(true);
    for (let index = 0; index < 3; index++) await s.write(leader, 'a', `now-${index}`);
    await s.stabilize();

    const epoch = s.node(leader).inspect().currentEpoch;
    const views = () =>
      s.cluster.running().map((sid) => {
        const { tick: _tick, ...view } = s.node(sid).view();
        return view;
      });
    const before = views();
    const roleChanges = () => [...s.cluster.marks].filter(([name]) => STEP_DOWN_CAUSES.has(name)).reduce((sum, [, hits]) => sum + hits, 0);
    const changesBefore = roleChanges();
    const old = recorded.filter(({ message }) => 'epoch' in message && message.epoch < epoch);
    const idempotent = recorded.filter(
      ({ message }) => 'epoch' in message && message.epoch === epoch && ['transaction_commit', 'transaction_acknowledge', 'PING', 'PONG'].includes(message.kind),
    );
    expect(old.filter(({ from, message }) => from === leader && message.kind === 'transaction_proposal').length).toBeGreaterThan(3);
    for (const { from, to, message } of [...old, ...old, ...idempotent]) s.cluster.network.inject(from, to, message);
    await s.run(2000);
    expect(views()).toEqual(before);
    expect(roleChanges()).toBe(changesBefore);
    expect(await s.write(leader, 'a', 'still-works')).toEqual({ ok: true, value: null });
  });
});

describe('Cluster: election: a stale log never wins', () => {
  it('the server with the highest sid but a stale log does not become leader over an up-to-date quorum', async () => {
    const s = await Scenario.started({ voters: 3 });
    s.cluster.crash(3);
    const leader = await s.stabilize();
    for (let index = 0; index < 5; index++) await s.write(leader, 'a', `v${index}`);
    for (const sid of s.cluster.running()) s.cluster.crash(sid);
    const epochsBefore = Math.max(...s.cluster.checker.leaders().keys());

    // The stale server comes back first, then the two that hold every committed write.
    s.cluster.start(3);
    await s.run(500);
    s.cluster.start(1);
    s.cluster.start(2);
    const next = await s.stabilize();
    expect(next).not.toBe(3);
    for (const [epoch, sid] of s.cluster.checker.leaders()) if (epoch > epochsBefore) expect(sid).not.toBe(3);
    for (const sid of [1, 2, 3]) expect(s.value(sid, 'a')).toBe('v4');
  });
});

describe('Cluster: synchronization is durable before NEWLEADER is acked', () => {
  it('an old-epoch proposal the new leader commits at establishment survives the follower that synced it', async () => {
    for (let seed = 1; seed <= 6; seed++) {
      const s = await Scenario.started({ voters: 3, seed });
      const leader = s.leader();
      const [synced, other] = s.followers();
      // A proposal only the leader stores; then the leader loses its quorum and steps down.
      s.drop((from, _to, message) => from === leader && message.kind === 'transaction_proposal');
      s.submit(leader, 'a', 'old-epoch');
      await s.until(() => s.durablyLogged(leader, 'old-epoch'), 'the leader stored its proposal');
      s.cluster.crash(synced!);
      s.cluster.crash(other!);
      await s.until(() => s.node(leader).inspect().state === 'LOOKING', 'the leader steps down');
      s.deliverAll();

      // It leads again with one follower whose disk is slow, and commits its history once established.
      s.cluster.storage(synced!).setWriteLatency(40, 60);
      s.cluster.start(synced!);
      await s.until(() => s.node(leader).inspect().serving, 'the leader is established again');
      expect(s.committed('old-epoch')).toBe(true);
      // Everything the follower acked must already be on its disk: crash both now.
      s.cluster.crash(synced!);
      s.cluster.crash(leader);
      s.cluster.start(other!);
      s.cluster.start(synced!);
      await s.stabilize();
      s.cluster.start(leader);
      await s.stabilize();
      for (const sid of s.cluster.running()) expect(s.value(sid, 'a')).toBe('old-epoch');
    }
  });
});

describe('Cluster: amnesia: a seat whose storage was replaced (recovery before voting, core/seats.ts)', () => {
  /** /x is committed by seats {1, 2} while 3 is down; 3 never saw it. */
  async function committedByOneAndTwo() {
    const s = await Scenario.started({ voters: 3 });
    s.cluster.crash(3);
    const leader = await s.stabilize();
    expect(await s.write(leader, 'x', 'committed-by-1-and-2')).toEqual({ ok: true, value: null });
    return s;
  }

  it('issue 9 item 1: a blank storage in a freed seat never counts, so {2, 3} never form a quorum that forgot /x', async () => {
    const s = await committedByOneAndTwo();
    // Seat 2's tab goes away; a tab with a blank storage (another profile) takes the seat. Seat 1 closes.
    s.cluster.close(2);
    s.cluster.wipe(2);
    s.cluster.start(2);
    s.cluster.close(1);
    s.cluster.start(3);
    await s.run(5000);
    // Without recovery before voting, 2 and 3 elected a leader here and /x was gone.
    expect(s.cluster.leader()).toBeNull();
    expect(s.value(3, 'x')).toBeUndefined();
    expect(s.node(2).view().admission.state).toBe('recovering');
    expect(s.node(3).view().admission.lost).toEqual([2]);
    expect((await new Promise((done) => s.node(3).request('op', { type: 'put', key: 'x', value: 'other' }, done)))).toEqual({ ok: false, error: 'ConnectionLoss' });

    // Seat 1 comes back: {1, 3} form a quorum, sync the new storage, and re-admit it by a committed txn.
    const readmissions = s.mark(MARK.leaderReadmitsStorage) + s.mark(MARK.leaderRecordsSeats);
    s.cluster.start(1);
    await s.stabilize();
    expect(s.mark(MARK.leaderReadmitsStorage) + s.mark(MARK.leaderRecordsSeats)).toBeGreaterThan(readmissions);
    for (const sid of [1, 2, 3]) {
      expect(s.value(sid, 'x')).toBe('committed-by-1-and-2');
      expect(s.node(sid).view().admission.state).toBe('member');
    }
    expect(s.cluster.checker.amnesiacSeats()).toEqual([]);
    // The re-admitted seat now counts: with 1 gone, {2, 3} serve and keep /x.
    s.cluster.close(1);
    const next = await s.stabilize();
    expect(await s.write(next, 'y', 'after')).toEqual({ ok: true, value: null });
    for (const sid of [2, 3]) expect(s.value(sid, 'x')).toBe('committed-by-1-and-2');
  });

  it('when a quorum of seats lost its storage the cluster refuses to serve, says so, and forms again only by the UNSAFE forced recovery', async () => {
    const s = await committedByOneAndTwo();
    s.cluster.start(3);
    await s.stabilize();
    // Every tab closes; seats 2 and 3 come back on blank storage (two other profiles), seat 1 on its own.
    for (const sid of [1, 2, 3]) s.cluster.close(sid);
    for (const sid of [2, 3]) s.cluster.wipe(sid);
    s.cluster.startAll();
    await s.run(5000);
    expect(s.cluster.leader()).toBeNull();
    for (const sid of [1, 2, 3]) {
      const admission = s.node(sid).view().admission;
      expect(admission.state, `seat ${sid}`).toBe('refusing');
      expect(admission.lost).toEqual([2, 3]);
      expect(admission.reason).toMatch(/a quorum lost its storage/);
    }

    // The operator forces a new cluster from seat 1, the one that still holds /x.
    s.node(1).forceNewCluster();
    await s.stabilize();
    for (const sid of [1, 2, 3]) {
      expect(s.value(sid, 'x')).toBe('committed-by-1-and-2');
      expect(s.node(sid).view().admission.state).toBe('member');
    }
    expect(s.node(1).inspect().admission.forcing).toBe(false);
  });
});

describe('Cluster: epoch poisoning (core/bounds.ts, issue 9 item 2)', () => {
  it('a voter’s coordinator and NEWEPOCH with epoch 2^32-1 cannot leave the cluster unable to elect, even after every server restarts', async () => {
    const s = await Scenario.started({ voters: 3 });
    const leader = s.leader();
    expect(await s.write(leader, 'a', 'before')).toEqual({ ok: true, value: null });
    const hostile = 3;
    const others = [1, 2];
    const poison = 0xffff_ffff;
    // Everyone restarts; seat 3's tab (a voter) claims to lead with the highest epoch there is.
    for (const sid of s.cluster.running()) s.cluster.crash(sid);
    for (const sid of others) s.cluster.start(sid);
    await s.run(30);
    const storageId = s.cluster.storage(hostile).id;
    for (const to of others) {
      s.cluster.network.inject(hostile, to, { kind: 'coordinator', from: hostile, rank: { currentEpoch: poison, lastZxid: { epoch: poison, counter: 9 }, sid: hostile, storageId }, leading: true });
      s.cluster.network.inject(hostile, to, { kind: 'NEWEPOCH', from: hostile, epoch: poison, quorumAccepted: true });
    }
    await s.run(1000);
    for (const sid of others) expect(s.cluster.storage(sid).state().acceptedEpoch).toBeLessThan(poison);
    // Every tab reloads, the hostile one too (honest now): the cluster elects and serves.
    for (const sid of s.cluster.running()) s.cluster.crash(sid);
    s.cluster.startAll();
    const next = await s.stabilize();
    expect(await s.write(next, 'a', 'after')).toEqual({ ok: true, value: null });
    await s.stabilize();
    for (const sid of [1, 2, 3]) expect(s.value(sid, 'a')).toBe('after');
    expect(s.mark(STEP_DOWN.newEpochOutOfBounds)).toBeGreaterThan(0);
  });
});
