import { describe, expect, it } from 'vitest';
import { serverConfig } from './config.ts';
import { KvMachine } from './sim/kv-machine.ts';
import type { MessageKind } from './messages.ts';
import type { Ready } from './ready.ts';
import { ZabServer } from './server.ts';
import { Scenario } from './sim/scenario.ts';
import { EMPTY_PERSISTED_STATE } from './storage.ts';
import type { ApplyResult } from './state-machine.ts';
import type { Proposal } from './types.ts';
import { zxid, type Zxid } from './zxid.ts';

/**
 * `sync` as a quorum round without a log write (core/read-index.ts, etcd's ReadIndex): the rule
 * on one server fed by hand, then the stale read it prevents, in the simulator.
 */

function proposal(at: Zxid): Proposal {
  return { zxid: at, txn: { originator: 1, requestId: at.counter, type: 'op', op: { type: 'put', key: 'k', value: `v${at.counter}` } } };
}

function kinds(envelopes: Ready['messages']): MessageKind[] {
  return envelopes.map(({ message }) => message.kind);
}

/** Server 3 leading epoch 2 with follower 1 synced (5 voters when `voters` is 5: 1 alone is not a quorum). */
function establishedLeader(voters: number): ZabServer {
  const log = [proposal(zxid(1, 1)), proposal(zxid(1, 2))];
  const leader = new ZabServer(serverConfig(3, voters), () => new KvMachine());
  leader.step({ kind: 'Recovered', incarnation: 0, state: { ...EMPTY_PERSISTED_STATE, acceptedEpoch: 1, currentEpoch: 1, log }, storageId: 'storage-3' });
  const followers = voters === 3 ? [1] : [1, 2];
  for (const sid of followers) leader.step({ kind: 'election', from: sid, rank: { currentEpoch: 1, lastZxid: zxid(1, 2), sid, storageId: `storage-${sid}` }, observer: false });
  for (let tick = 0; tick < 10 && leader.state === 'LOOKING'; tick++) leader.tick();
  expect(leader.state).toBe('LEADING');
  leader.ready();
  for (const sid of followers) leader.step({ kind: 'FOLLOWERINFO', from: sid, acceptedEpoch: 1, currentEpoch: 1, lastZxid: zxid(1, 2), observer: false, storageId: `storage-${sid}` });
  leader.step({ kind: 'Persisted', incarnation: leader.incarnation, mark: leader.ready().mark });
  for (const sid of followers) leader.step({ kind: 'ACKEPOCH', from: sid, epoch: 2, currentEpoch: 1, lastZxid: zxid(1, 2) });
  leader.step({ kind: 'Persisted', incarnation: leader.incarnation, mark: leader.ready().mark });
  for (const sid of followers) leader.step({ kind: 'ACKNEWLEADER', from: sid, epoch: 2, zxid: zxid(1, 2) });
  expect(leader.serving).toBe(true);
  // The epoch's first txn records the seats' storages (core/seats.ts): commit it, so the tests start from a quiet leader.
  leader.step({ kind: 'Persisted', incarnation: leader.incarnation, mark: leader.ready().mark });
  for (const sid of followers) leader.step({ kind: 'transaction_acknowledge', from: sid, epoch: 2, zxid: zxid(2, 1) });
  expect(leader.committedZxid).toEqual(zxid(2, 1));
  leader.ready();
  return leader;
}

describe('sync without a log write (ReadIndex)', () => {
  it('the leader answers a sync only after a quorum acked a round of its epoch sent after the sync arrived, and writes nothing', () => {
    const leader = establishedLeader(5);
    leader.step({ kind: 'ClientRequest', requestId: 7, type: 'sync', op: null });
    const asked = leader.ready();
    expect(asked.persist).toEqual([]);
    expect(asked.replies).toEqual([]);
    expect(asked.messages.map(({ to, message }) => [to, message.kind])).toEqual([
      [1, 'sync_confirm'],
      [2, 'sync_confirm'],
    ]);
    const round = (asked.messages[0]!.message as { round: number }).round;
    // An ack of another epoch, an ack of an older round and a second ack from the same follower do not make a quorum.
    leader.step({ kind: 'sync_confirm_ack', from: 1, epoch: 1, round });
    leader.step({ kind: 'sync_confirm_ack', from: 1, epoch: 2, round: round - 1 });
    leader.step({ kind: 'sync_confirm_ack', from: 1, epoch: 2, round });
    leader.step({ kind: 'sync_confirm_ack', from: 1, epoch: 2, round });
    expect(leader.ready().replies).toEqual([]);
    leader.step({ kind: 'sync_confirm_ack', from: 2, epoch: 2, round });
    const confirmed = leader.ready();
    expect(confirmed.replies).toEqual([{ requestId: 7, result: { ok: true, value: null } }]);
    expect(confirmed.persist).toEqual([]);
    expect(leader.log.lastZxid).toEqual(zxid(2, 1));
  });

  it('a learner’s sync is answered with the leader’s last proposed zxid (5 voters: sync_reply once a quorum acked)', () => {
    const leader = establishedLeader(5);
    leader.step({ kind: 'transaction_request', from: 1, epoch: 2, requestId: 40, type: 'op', op: { type: 'put', key: 'a', value: '1' } });
    leader.step({ kind: 'sync_request', from: 1, epoch: 2, requestId: 41 });
    const asked = leader.ready();
    expect(kinds(asked.messages)).toEqual(['transaction_proposal', 'transaction_proposal', 'sync_confirm', 'sync_confirm']);
    // The leader and follower 1 are not a quorum of 5: the round carries no reads.
    const round = (asked.messages[2]!.message as { round: number }).round;
    expect(asked.messages.slice(2).map(({ message }) => 'reads' in message)).toEqual([false, false]);
    leader.step({ kind: 'sync_confirm_ack', from: 1, epoch: 2, round });
    expect(leader.ready().messages).toEqual([]);
    leader.step({ kind: 'sync_confirm_ack', from: 2, epoch: 2, round });
    const answered = leader.ready();
    // The write that reached the leader before the sync (2:2) is inside the index, though not yet committed.
    expect(answered.messages.map(({ message }) => message)).toEqual([{ kind: 'sync_reply', from: 3, epoch: 2, requestId: 41, zxid: zxid(2, 2) }]);
  });

  it('with three voters the round itself hands a follower its reads and their index; no sync_reply follows', () => {
    const leader = establishedLeader(3);
    leader.step({ kind: 'transaction_request', from: 1, epoch: 2, requestId: 40, type: 'op', op: { type: 'put', key: 'a', value: '1' } });
    leader.step({ kind: 'sync_request', from: 1, epoch: 2, requestId: 41 });
    leader.step({ kind: 'sync_request', from: 1, epoch: 2, requestId: 42 });
    const asked = leader.ready();
    expect(kinds(asked.messages)).toEqual(['transaction_proposal', 'sync_confirm']);
    const confirm = asked.messages[1]!.message as { round: number; reads?: unknown };
    expect(confirm.reads).toEqual([{ requestId: 41, zxid: zxid(2, 2) }]);
    leader.step({ kind: 'sync_confirm_ack', from: 1, epoch: 2, round: confirm.round });
    // 41 was handed over; 42 arrived while the round ran and goes with the next one, handed over too.
    const next = leader.ready().messages.map(({ message }) => message);
    expect(next).toEqual([{ kind: 'sync_confirm', from: 3, epoch: 2, round: confirm.round + 1, reads: [{ requestId: 42, zxid: zxid(2, 2) }] }]);
  });

  it('a follower serves reads handed with a round once applied through their index, and only while in the round’s epoch', () => {
    const follower = new ZabServer(serverConfig(2, 3), () => new KvMachine());
    follower.step({ kind: 'Recovered', incarnation: 0, state: { ...EMPTY_PERSISTED_STATE, acceptedEpoch: 1, currentEpoch: 1 }, storageId: 'storage-2' });
    follower.ready();
    follower.step({ kind: 'coordinator', from: 3, rank: { currentEpoch: 1, lastZxid: zxid(1, 0), sid: 3, storageId: 'storage-3' }, leading: false });
    follower.step({ kind: 'NEWEPOCH', from: 3, epoch: 2, quorumAccepted: false });
    follower.step({ kind: 'NEWLEADER', from: 3, epoch: 2, zxid: zxid(0, 0) });
    follower.step({ kind: 'Persisted', incarnation: follower.incarnation, mark: follower.ready().mark });
    follower.step({ kind: 'UPTODATE', from: 3, epoch: 2, committedZxid: zxid(0, 0) });
    follower.ready();
    expect(follower.serving).toBe(true);
    follower.step({ kind: 'ClientRequest', requestId: 41, type: 'sync', op: null });
    follower.step({ kind: 'ClientRequest', requestId: 42, type: 'sync', op: null });
    expect(kinds(follower.ready().messages)).toEqual(['sync_request', 'sync_request']);
    const write: Proposal = { zxid: zxid(2, 1), txn: { originator: 1, requestId: 9, type: 'op', op: { type: 'put', key: 'a', value: '1' } } };
    follower.step({ kind: 'transaction_proposal', from: 3, epoch: 2, proposal: write });
    follower.step({ kind: 'Persisted', incarnation: follower.incarnation, mark: follower.ready().mark });
    follower.ready();
    // A round of another epoch is dropped, reads and all.
    follower.step({ kind: 'sync_confirm', from: 3, epoch: 1, round: 4, reads: [{ requestId: 41, zxid: zxid(2, 1) }] });
    const stale = follower.ready();
    expect(stale.messages).toEqual([]);
    expect(stale.replies).toEqual([]);
    follower.step({ kind: 'sync_confirm', from: 3, epoch: 2, round: 5, reads: [{ requestId: 41, zxid: zxid(2, 1) }] });
    const confirmed = follower.ready();
    expect(kinds(confirmed.messages)).toEqual(['sync_confirm_ack']);
    // Not yet applied through 2:1: the read waits for the commit, not for a sync_reply.
    expect(confirmed.replies).toEqual([]);
    follower.step({ kind: 'transaction_commit', from: 3, epoch: 2, zxid: zxid(2, 1) });
    expect(follower.ready().replies).toEqual([{ requestId: 41, result: { ok: true, value: null } }]);
  });

  it('a follower vouches for its leader only while following it in its accepted epoch', () => {
    const follower = new ZabServer(serverConfig(2, 3), () => new KvMachine());
    follower.step({ kind: 'Recovered', incarnation: 0, state: { ...EMPTY_PERSISTED_STATE, acceptedEpoch: 1, currentEpoch: 1 }, storageId: 'storage-2' });
    follower.ready();
    follower.step({ kind: 'coordinator', from: 3, rank: { currentEpoch: 1, lastZxid: zxid(1, 0), sid: 3, storageId: 'storage-3' }, leading: false });
    follower.step({ kind: 'sync_confirm', from: 3, epoch: 2, round: 1 }); // not synced yet
    expect(kinds(follower.ready().messages)).toEqual(['FOLLOWERINFO']);
    follower.step({ kind: 'NEWEPOCH', from: 3, epoch: 2, quorumAccepted: false });
    follower.step({ kind: 'NEWLEADER', from: 3, epoch: 2, zxid: zxid(0, 0) });
    follower.step({ kind: 'UPTODATE', from: 3, epoch: 2, committedZxid: zxid(0, 0) });
    follower.ready();
    follower.step({ kind: 'sync_confirm', from: 3, epoch: 2, round: 5 });
    follower.step({ kind: 'sync_confirm', from: 1, epoch: 2, round: 6 }); // not its leader
    expect(follower.ready().messages.map(({ to, message }) => [to, message])).toEqual([[3, { kind: 'sync_confirm_ack', from: 2, epoch: 2, round: 5 }]]);
  });

  it('a leader cut off from its quorum never answers a sync, while the majority side commits newer writes (no stale read)', async () => {
    const s = await Scenario.started({ voters: 5, seed: 12 });
    const oldLeader = s.leader();
    const [buddy, ...others] = s.followers();
    await s.write(oldLeader, 'k', 'before');
    // The old leader keeps one follower: acks from it alone are not a quorum of 5.
    s.cluster.network.partition([[oldLeader, buddy!], others], { notify: false });
    const syncs: { result: ApplyResult | null; value: () => string | undefined }[] = [];
    for (const sid of [oldLeader, buddy!]) {
      const entry = { result: null as ApplyResult | null, value: () => s.value(sid, 'k') };
      s.node(sid).request('sync', null, (result) => (entry.result = result));
      syncs.push(entry);
    }
    await s.until(() => s.cluster.leader() !== null && s.cluster.leader() !== oldLeader && s.cluster.node(s.cluster.leader()!)!.inspect().serving, 'the majority elects a new leader');
    const newLeader = s.cluster.leader()!;
    expect(others).toContain(newLeader);
    expect((await s.write(newLeader, 'k', 'after')).ok).toBe(true);
    await s.until(() => syncs.every((sync) => sync.result !== null), 'both syncs on the minority side settle');
    for (const sync of syncs) {
      // Had either answered ok, a read there would return 'before' after 'after' was committed.
      expect(sync.result).toEqual({ ok: false, error: 'ConnectionLoss' });
    }
    s.deliverAll();
    s.cluster.network.heal();
    await s.stabilize();
    const healed: { result: ApplyResult | null } = { result: null };
    s.node(oldLeader).request('sync', null, (result) => (healed.result = result));
    await s.until(() => healed.result !== null, 'a sync on the healed old leader completes');
    expect(healed.result).toEqual({ ok: true, value: null });
    expect(s.value(oldLeader, 'k')).toBe('after');
  });
});
