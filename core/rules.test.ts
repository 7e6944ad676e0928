import { describe, expect, it } from 'vitest';
import { serverConfig } from './config.ts';
import { KvMachine } from './sim/kv-machine.ts';
import { decodeMessage, encodeMessage, type Message, type MessageKind } from './messages.ts';
import type { Ready } from './ready.ts';
import { ZabServer } from './server.ts';
import { EMPTY_PERSISTED_STATE, type PersistedState } from './storage.ts';
import type { Proposal } from './types.ts';
import { zxid, ZERO_ZXID, type Zxid } from './zxid.ts';

/**
 * The safety rules of docs/ARCHITECTURE.md, each checked on one server fed messages by
 * hand, as etcd's raft_paper_test does: init, act, check. References are to the Zab paper
 * (Junqueira, Reed, Serafini, DSN 2011): Algorithm 2 is discovery, 3 synchronization, 4 broadcast.
 */

function proposal(at: Zxid, value = `v${at.epoch}.${at.counter}`): Proposal {
  return { zxid: at, txn: { originator: 1, requestId: at.epoch * 1000 + at.counter, type: 'op', op: { type: 'put', key: 'k', value } } };
}

function booted(sid: number, state: Partial<PersistedState> = {}, voters = 3): ZabServer {
  const server = new ZabServer(serverConfig(sid, voters), () => new KvMachine());
  server.step({ kind: 'Recovered', incarnation: 0, state: { ...EMPTY_PERSISTED_STATE, ...state }, storageId: `storage-${sid}` });
  server.ready();
  return server;
}

function kinds(envelopes: Ready['messages']): MessageKind[] {
  return envelopes.map(({ message }) => message.kind);
}

const rank = (sid: number, currentEpoch: number, last: Zxid) => ({ currentEpoch, lastZxid: last, sid, storageId: `storage-${sid}` });

/** A follower of leader 3 that has sent FOLLOWERINFO. */
function following(state: Partial<PersistedState>): ZabServer {
  const follower = booted(2, state);
  follower.step({ kind: 'coordinator', from: 3, rank: rank(3, 9, zxid(9, 9)), leading: false });
  expect(follower.state).toBe('FOLLOWING');
  expect(kinds(follower.ready().messages)).toEqual(['FOLLOWERINFO']);
  return follower;
}

describe('discovery (Zab Algorithm 2)', () => {
  it('a follower persists acceptedEpoch before ACKEPOCH leaves', () => {
    const follower = following({ acceptedEpoch: 1, currentEpoch: 1 });
    follower.step({ kind: 'NEWEPOCH', from: 3, epoch: 2, quorumAccepted: false });
    const ready = follower.ready();
    expect(ready.persist).toEqual([{ kind: 'saveEpochs', acceptedEpoch: 2, currentEpoch: 1 }]);
    expect(kinds(ready.messages)).toEqual([]);
    expect(kinds(ready.messagesAfterPersist)).toEqual(['ACKEPOCH']);
  });

  it('a follower never acks NEWEPOCH(e) unless e > acceptedEpoch', () => {
    for (const epoch of [1, 2]) {
      const follower = following({ acceptedEpoch: 2, currentEpoch: 1 });
      follower.step({ kind: 'NEWEPOCH', from: 3, epoch, quorumAccepted: false });
      const ready = follower.ready();
      expect(ready.reload).toBe(true);
      expect(follower.state).toBe('RECOVERING');
      expect(kinds([...ready.messages, ...ready.messagesAfterPersist])).not.toContain('ACKEPOCH');
    }
  });

  it('a follower that already accepted an epoch rejoins its leader once a quorum accepted it', () => {
    const follower = following({ acceptedEpoch: 2, currentEpoch: 1 });
    follower.step({ kind: 'NEWEPOCH', from: 3, epoch: 2, quorumAccepted: true });
    expect(follower.state).toBe('FOLLOWING');
    expect(kinds(follower.ready().messagesAfterPersist)).toEqual(['ACKEPOCH']);
  });

  it('election ranks by currentEpoch before lastZxid, never by acceptedEpoch', () => {
    // Server 3 accepted epoch 7 but holds an older history than server 1's currentEpoch 2.
    const server = booted(3, { acceptedEpoch: 7, currentEpoch: 1, log: [proposal(zxid(1, 1)), proposal(zxid(1, 2))] });
    server.step({ kind: 'election', from: 1, rank: rank(1, 2, zxid(2, 0)), observer: false });
    expect(kinds(server.ready().messages)).toEqual(['lower_id']);
  });
});

describe('election (the seed’s Bully, hardened)', () => {
  it('a higher-ranked server silences a candidate only while it can reach a quorum', () => {
    const server = booted(5, {}, 5);
    server.step({ kind: 'election', from: 1, rank: rank(1, 0, ZERO_ZXID), observer: false });
    expect(kinds(server.ready().messages)).toEqual([]); // hears 1 and itself: 2 of 5
    server.step({ kind: 'election', from: 2, rank: rank(2, 0, ZERO_ZXID), observer: false });
    expect(kinds(server.ready().messages)).toEqual(['higher_id']); // 3 of 5
  });

  it('a coordinator with an older history is refused; an established leader is followed', () => {
    const state = { acceptedEpoch: 2, currentEpoch: 2, log: [proposal(zxid(2, 1))] };
    const refusing = booted(1, state);
    refusing.step({ kind: 'coordinator', from: 3, rank: rank(3, 1, zxid(1, 9)), leading: false });
    expect(refusing.state).toBe('LOOKING');
    const joining = booted(1, state);
    joining.step({ kind: 'coordinator', from: 3, rank: rank(3, 3, zxid(2, 1)), leading: true });
    expect(joining.state).toBe('FOLLOWING');
  });
});

/** Server 3 as leader-elect with history (1:1, 1:2), FOLLOWERINFO from 1 received. */
function leaderElect(followerLast: Zxid): ZabServer {
  const leader = booted(3, { acceptedEpoch: 1, currentEpoch: 1, log: [proposal(zxid(1, 1)), proposal(zxid(1, 2))] });
  leader.step({ kind: 'election', from: 1, rank: rank(1, 1, zxid(1, 1)), observer: false });
  for (let tick = 0; tick < 10 && leader.state === 'LOOKING'; tick++) leader.tick();
  expect(leader.state).toBe('LEADING');
  leader.ready();
  leader.step({ kind: 'FOLLOWERINFO', from: 1, acceptedEpoch: 1, currentEpoch: 1, lastZxid: followerLast, observer: false, storageId: `storage-1` });
  const ready = leader.ready();
  expect(ready.persist).toEqual([{ kind: 'saveEpochs', acceptedEpoch: 2, currentEpoch: 1 }]);
  expect(kinds(ready.messagesAfterPersist)).toEqual(['NEWEPOCH']);
  leader.step({ kind: 'Persisted', incarnation: leader.incarnation, mark: ready.mark });
  return leader;
}

describe('discovery and synchronization, leader side (Zab Algorithms 2 and 3)', () => {
  it('a leader gives up when an ACKEPOCH shows a more recent history, before syncing anyone', () => {
    const leader = leaderElect(zxid(1, 5));
    leader.step({ kind: 'ACKEPOCH', from: 1, epoch: 2, currentEpoch: 1, lastZxid: zxid(1, 5) });
    const ready = leader.ready();
    expect(leader.state).toBe('RECOVERING');
    expect(ready.reload).toBe(true);
    expect(kinds(ready.messages)).not.toContain('TRUNC');
    expect(kinds(ready.messages)).not.toContain('NEWLEADER');
  });

  it('a leader syncs only after a quorum acked the epoch, then persists currentEpoch', () => {
    const leader = leaderElect(zxid(1, 1));
    leader.step({ kind: 'ACKEPOCH', from: 1, epoch: 2, currentEpoch: 1, lastZxid: zxid(1, 1) });
    const ready = leader.ready();
    expect(ready.persist).toEqual([{ kind: 'saveEpochs', acceptedEpoch: 2, currentEpoch: 2 }]);
    expect(kinds(ready.messages)).toEqual(['DIFF', 'NEWLEADER']);
  });

  it('with 5 voters, nobody is synced until a quorum of 3 (the leader included) acked the epoch', () => {
    const leader = booted(5, { acceptedEpoch: 1, currentEpoch: 1, log: [proposal(zxid(1, 1))] }, 5);
    for (const sid of [1, 2]) leader.step({ kind: 'election', from: sid, rank: rank(sid, 1, zxid(1, 1)), observer: false });
    for (let tick = 0; tick < 10 && leader.state === 'LOOKING'; tick++) leader.tick();
    expect(leader.state).toBe('LEADING');
    for (const sid of [1, 2]) leader.step({ kind: 'FOLLOWERINFO', from: sid, acceptedEpoch: 1, currentEpoch: 1, lastZxid: zxid(1, 1), observer: false, storageId: `storage-${sid}` });
    const proposed = leader.ready();
    leader.step({ kind: 'Persisted', incarnation: leader.incarnation, mark: proposed.mark });
    leader.step({ kind: 'ACKEPOCH', from: 1, epoch: 2, currentEpoch: 1, lastZxid: zxid(1, 1) });
    expect(kinds(leader.ready().messages)).not.toContain('NEWLEADER');
    leader.step({ kind: 'ACKEPOCH', from: 2, epoch: 2, currentEpoch: 1, lastZxid: zxid(1, 1) });
    // Both learners are at the leader's last zxid: an empty DIFF is not sent, only NEWLEADER.
    expect(kinds(leader.ready().messages)).toEqual(['NEWLEADER', 'NEWLEADER']);
  });

  it('a leader still synchronizing ignores acks below the new epoch instead of giving up', () => {
    const leader = leaderElect(zxid(1, 1));
    leader.step({ kind: 'ACKEPOCH', from: 1, epoch: 2, currentEpoch: 1, lastZxid: zxid(1, 1) });
    leader.ready();
    leader.step({ kind: 'transaction_acknowledge', from: 1, epoch: 1, zxid: zxid(1, 2) });
    expect(leader.state).toBe('LEADING');
    expect(leader.ready().reload).toBe(false);
  });

  it('an established leader steps down for a learner that accepted a later epoch', () => {
    const leader = leaderElect(zxid(1, 1));
    leader.step({ kind: 'ACKEPOCH', from: 1, epoch: 2, currentEpoch: 1, lastZxid: zxid(1, 1) });
    const sync = leader.ready();
    leader.step({ kind: 'Persisted', incarnation: leader.incarnation, mark: sync.mark });
    leader.step({ kind: 'ACKNEWLEADER', from: 1, epoch: 2, zxid: zxid(1, 2) });
    expect(leader.serving).toBe(true);
    leader.step({ kind: 'FOLLOWERINFO', from: 2, acceptedEpoch: 5, currentEpoch: 1, lastZxid: ZERO_ZXID, observer: false, storageId: `storage-2` });
    expect(leader.state).toBe('RECOVERING');
  });
});

describe('synchronization, follower side (Zab Algorithm 3)', () => {
  /** Follower 2 holds 1:3, which leader 3 (history 1:1 1:2 2:1 2:2) lacks. */
  function syncing(): ZabServer {
    const follower = following({ acceptedEpoch: 2, currentEpoch: 1, log: [1, 2, 3].map((counter) => proposal(zxid(1, counter))) });
    follower.step({ kind: 'NEWEPOCH', from: 3, epoch: 3, quorumAccepted: false });
    follower.ready();
    return follower;
  }

  it('at NEWLEADER the whole sync is made durable first, then currentEpoch, then the ack leaves', () => {
    const follower = syncing();
    follower.step({ kind: 'TRUNC', from: 3, epoch: 3, zxid: zxid(1, 2) });
    follower.step({ kind: 'DIFF', from: 3, epoch: 3, prevZxid: zxid(1, 2), proposals: [proposal(zxid(2, 1)), proposal(zxid(2, 2))] });
    follower.step({ kind: 'NEWLEADER', from: 3, epoch: 3, zxid: zxid(2, 2) });
    const ready = follower.ready();
    expect(ready.persist.map((op) => op.kind)).toEqual(['truncateAfter', 'appendProposals', 'saveEpochs']);
    expect(ready.persist[2]).toEqual({ kind: 'saveEpochs', acceptedEpoch: 3, currentEpoch: 3 });
    // Before the write, only PONGs (the DIFF's sign of life, which acks nothing: core/following.ts).
    expect(kinds(ready.messages).filter((kind) => kind !== 'PONG')).toEqual([]);
    expect(ready.messagesAfterPersist.map(({ message }) => message)).toEqual([{ kind: 'ACKNEWLEADER', from: 2, epoch: 3, zxid: zxid(2, 2) }]);
  });

  it('a follower accepts only the proposal that directly follows its log', () => {
    const follower = syncing();
    follower.step({ kind: 'TRUNC', from: 3, epoch: 3, zxid: zxid(1, 2) });
    follower.step({ kind: 'NEWLEADER', from: 3, epoch: 3, zxid: zxid(1, 2) });
    follower.step({ kind: 'UPTODATE', from: 3, epoch: 3, committedZxid: zxid(1, 2) });
    expect(follower.serving).toBe(true);
    follower.step({ kind: 'transaction_proposal', from: 3, epoch: 3, proposal: proposal(zxid(3, 1)) });
    expect(follower.state).toBe('FOLLOWING');
    follower.step({ kind: 'transaction_proposal', from: 3, epoch: 3, proposal: proposal(zxid(3, 3)) }); // 3:2 was lost
    expect(follower.state).toBe('RECOVERING');
    expect(follower.ready().reload).toBe(true);
  });

  it('a follower acks a proposal only after it is durable', () => {
    const follower = syncing();
    follower.step({ kind: 'NEWLEADER', from: 3, epoch: 3, zxid: zxid(1, 3) });
    follower.step({ kind: 'UPTODATE', from: 3, epoch: 3, committedZxid: zxid(1, 3) });
    follower.ready();
    follower.step({ kind: 'transaction_proposal', from: 3, epoch: 3, proposal: proposal(zxid(3, 1)) });
    const ready = follower.ready();
    expect(ready.persist.map((op) => op.kind)).toEqual(['appendProposals']);
    expect(kinds(ready.messages)).toEqual([]);
    expect(kinds(ready.messagesAfterPersist)).toEqual(['transaction_acknowledge']);
  });
});

describe('bad input reaching the protocol', () => {
  it('voter-only messages from an observer seat, and messages from itself, are ignored', () => {
    const follower = following({});
    const messages: Message[] = [
      { kind: 'transaction_commit', from: 9, epoch: 1, zxid: zxid(1, 1) },
      { kind: 'coordinator', from: 9, rank: rank(9, 9, zxid(9, 9)), leading: true },
      { kind: 'election', from: 9, rank: rank(9, 0, ZERO_ZXID), observer: false },
      { kind: 'PING', from: 2, epoch: 0 },
    ];
    for (const message of messages) follower.step(message);
    expect(follower.state).toBe('FOLLOWING');
    const ready = follower.ready();
    expect(ready.reload).toBe(false);
    expect(kinds(ready.messages)).toEqual([]);
  });
});

describe('epochs and zxids within the wire’s bounds (core/bounds.ts, issue 9 item 2)', () => {
  const WIRE_MAX = 0xffff_ffff;

  it('a follower never acks nor persists a NEWEPOCH that leaves the wire no room (2^32-1 from a voter)', () => {
    const follower = following({ acceptedEpoch: 1, currentEpoch: 1 });
    follower.step({ kind: 'NEWEPOCH', from: 3, epoch: WIRE_MAX, quorumAccepted: false });
    const ready = follower.ready();
    expect(ready.persist).toEqual([]);
    expect(kinds([...ready.messages, ...ready.messagesAfterPersist])).not.toContain('ACKEPOCH');
    expect(follower.acceptedEpoch).toBe(1);
    expect(follower.state).toBe('RECOVERING');
  });

  it('a leader-elect ignores a FOLLOWERINFO whose acceptedEpoch would push its epoch past the wire', () => {
    const leader = booted(3, { acceptedEpoch: 1, currentEpoch: 1, log: [proposal(zxid(1, 1))] });
    leader.step({ kind: 'election', from: 1, rank: rank(1, 1, zxid(1, 1)), observer: false });
    for (let tick = 0; tick < 10 && leader.state === 'LOOKING'; tick++) leader.tick();
    expect(leader.state).toBe('LEADING');
    leader.ready();
    leader.step({ kind: 'FOLLOWERINFO', from: 1, acceptedEpoch: WIRE_MAX, currentEpoch: 1, lastZxid: zxid(1, 1), observer: false, storageId: 'storage-1' });
    const ready = leader.ready();
    expect(ready.persist).toEqual([]);
    expect(leader.acceptedEpoch).toBe(1);
    // An honest learner is still heard, and the epoch proposed is one the wire carries.
    leader.step({ kind: 'FOLLOWERINFO', from: 2, acceptedEpoch: 4, currentEpoch: 1, lastZxid: zxid(1, 1), observer: false, storageId: 'storage-2' });
    const next = leader.ready();
    expect(next.persist).toEqual([{ kind: 'saveEpochs', acceptedEpoch: 5, currentEpoch: 1 }]);
    for (const { message } of next.messagesAfterPersist) expect(decodeMessage(encodeMessage(message)).ok).toBe(true);
  });

  it('a TRUNC below what the follower committed, or a SNAP whose digest does not match, is refused and changes nothing', () => {
    const follower = following({ acceptedEpoch: 2, currentEpoch: 1, log: [1, 2, 3].map((counter) => proposal(zxid(1, counter))) });
    follower.step({ kind: 'NEWEPOCH', from: 3, epoch: 3, quorumAccepted: false });
    follower.ready();
    follower.step({ kind: 'SNAP', from: 3, epoch: 3, zxid: zxid(2, 2), digest: 'not-the-digest', index: 0, count: 1, chunk: '[["k","v"]]' });
    const ready = follower.ready();
    expect(ready.persist).toEqual([]);
    expect(follower.state).toBe('RECOVERING');
    expect(follower.log.lastZxid).toEqual(zxid(1, 3));

    const other = following({ acceptedEpoch: 2, currentEpoch: 1, log: [1, 2].map((counter) => proposal(zxid(1, counter))) });
    other.step({ kind: 'NEWEPOCH', from: 3, epoch: 3, quorumAccepted: false });
    other.ready();
    other.step({ kind: 'TRUNC', from: 3, epoch: 3, zxid: zxid(1, 7) });
    expect(other.ready().persist).toEqual([]);
    expect(other.state).toBe('RECOVERING');
    // A DIFF entry from an epoch after the leader's own is not a history any leader could have.
    const third = following({ acceptedEpoch: 2, currentEpoch: 1, log: [proposal(zxid(1, 1))] });
    third.step({ kind: 'NEWEPOCH', from: 3, epoch: 3, quorumAccepted: false });
    third.ready();
    third.step({ kind: 'DIFF', from: 3, epoch: 3, prevZxid: zxid(1, 1), proposals: [proposal(zxid(WIRE_MAX, 1))] });
    expect(third.ready().persist).toEqual([]);
    expect(third.state).toBe('RECOVERING');
  });
});

describe('recovery before voting (core/seats.ts, issue 9 item 1)', () => {
  /** Server 3 of a cluster whose record names storages storage-1..3 in epoch 1, with one txn after it. */
  function recorded(sid: number): ZabServer {
    const seats: Proposal = {
      zxid: zxid(1, 1),
      txn: { originator: 3, requestId: 1, type: 'seats', op: [1, 2, 3].map((seat) => ({ sid: seat, storageId: `storage-${seat}`, epoch: 1 })) },
    };
    return booted(sid, { acceptedEpoch: 1, currentEpoch: 1, log: [seats, proposal(zxid(1, 2))] });
  }

  it('a server does not count a voter whose storage the record does not name: no higher_id, no leading', () => {
    const server = recorded(3);
    // Seat 1 presents a new storage: 3 hears only itself and an unknown storage, which is no quorum.
    server.step({ kind: 'election', from: 1, rank: { ...rank(1, 0, ZERO_ZXID), storageId: 'blank' }, observer: false });
    const ready = server.ready();
    expect(kinds(ready.messages)).toEqual(['SEATS']);
    for (let tick = 0; tick < 10; tick++) server.tick();
    expect(server.state).toBe('LOOKING');
    expect(server.view().admission.lost).toEqual([1]);
    // The recorded storage of seat 1 counts.
    const other = recorded(3);
    other.step({ kind: 'election', from: 1, rank: rank(1, 1, zxid(1, 2)), observer: false });
    expect(kinds(other.ready().messages)).toEqual(['higher_id']);
  });

  it('a storage rolled back to a copy from before the epoch it was last recorded in does not count', () => {
    const server = recorded(3);
    // storage-1, recorded in epoch 1, presents currentEpoch 0: an older copy of it.
    server.step({ kind: 'election', from: 1, rank: rank(1, 0, ZERO_ZXID), observer: false });
    expect(kinds(server.ready().messages)).toEqual(['SEATS']);
  });

  it('a server whose own storage is not recorded never silences others and never leads', () => {
    // A fresh boot of seat 3 on another storage that holds the record (synced, not yet re-admitted).
    const fresh = new ZabServer(serverConfig(3, 3), () => new KvMachine());
    const seats: Proposal = { zxid: zxid(1, 1), txn: { originator: 3, requestId: 1, type: 'seats', op: [1, 2, 3].map((seat) => ({ sid: seat, storageId: `storage-${seat}`, epoch: 1 })) } };
    fresh.step({ kind: 'Recovered', incarnation: 0, state: { ...EMPTY_PERSISTED_STATE, acceptedEpoch: 1, currentEpoch: 1, log: [seats] }, storageId: 'new-storage' });
    fresh.ready();
    fresh.step({ kind: 'election', from: 1, rank: rank(1, 0, ZERO_ZXID), observer: false });
    fresh.step({ kind: 'election', from: 2, rank: rank(2, 0, ZERO_ZXID), observer: false });
    expect(kinds(fresh.ready().messages)).not.toContain('higher_id');
    for (let tick = 0; tick < 20; tick++) fresh.tick();
    expect(fresh.state).toBe('LOOKING');
    expect(fresh.view().admission.state).toBe('recovering');
  });
});
