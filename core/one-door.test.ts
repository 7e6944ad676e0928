import { describe, expect, it } from 'vitest';
import { AssertionError } from './assert.ts';
import { serverConfig } from './config.ts';
import { MARK, STEP_DOWN } from './marks.ts';
import type { Message } from './messages.ts';
import type { Mark } from './marks.ts';
import { TIMEOUT } from './role.ts';
import { ZabServer } from './server.ts';
import { KvMachine } from './sim/kv-machine.ts';
import { EMPTY_PERSISTED_STATE, type PersistedState } from './storage.ts';
import { zxid } from './zxid.ts';

/**
 * Goal: the server has one door (etcd's Step). Time reaches a role only as Timeout inputs that
 * `tick` steps; a peer message's epoch is settled by the server before any role sees it; the
 * epochs change only together with their persist op; RECOVERING is a state of its own.
 * Method: one server fed inputs by hand, its log lines and marks recorded.
 */

interface Recorded {
  readonly server: ZabServer;
  readonly lines: string[];
  readonly marks: Mark[];
}

function recorded(sid: number, voters: number, state: Partial<PersistedState> = {}): Recorded {
  const lines: string[] = [];
  const marks: Mark[] = [];
  const server = new ZabServer(serverConfig(sid, voters), () => new KvMachine(), { log: (line) => lines.push(line), mark: (name) => marks.push(name) });
  server.step({ kind: 'Recovered', incarnation: 0, state: { ...EMPTY_PERSISTED_STATE, ...state }, storageId: `storage-${sid}` });
  server.ready();
  return { server, lines, marks };
}

const rank = (sid: number, currentEpoch: number) => ({ currentEpoch, lastZxid: zxid(currentEpoch, 1), sid, storageId: `storage-${sid}` });

describe('time enters through step', () => {
  it('an election Timeout stepped by hand does what the ticks up to the deadline do', () => {
    const ticked = recorded(1, 1);
    let ticks = 0;
    while (ticked.server.state === 'LOOKING' && ticks < 100) {
      ticked.server.tick();
      ticks++;
    }
    expect(ticked.server.state).toBe('LEADING');
    expect(ticks).toBeGreaterThan(1);

    const stepped = recorded(1, 1);
    stepped.server.step(TIMEOUT.election);
    expect(stepped.server.state).toBe('LEADING');
    expect(stepped.server.ready().persist).toEqual(ticked.server.ready().persist);
  });

  it('a tick before any deadline changes nothing and sends nothing', () => {
    const { server, lines } = recorded(2, 3);
    server.ready();
    const before = server.view();
    const logged = lines.length;
    server.tick();
    expect(server.state).toBe('LOOKING');
    expect(server.hasReady()).toBe(false);
    expect({ ...server.view(), tick: before.tick }).toEqual(before);
    expect(lines.slice(logged)).toEqual([]);
  });

  it('a follower whose leader is silent steps down on the leaderSilent timer, counted by its named mark', () => {
    const { server, marks } = recorded(2, 3, { acceptedEpoch: 1, currentEpoch: 1 });
    server.step({ kind: 'coordinator', from: 3, rank: rank(3, 1), leading: true });
    expect(server.state).toBe('FOLLOWING');
    for (let tick = 0; tick < 100 && server.state === 'FOLLOWING'; tick++) server.tick();
    expect(server.state).toBe('RECOVERING');
    expect(marks).toContain(STEP_DOWN.leaderSilent);
    expect(marks).not.toContain(STEP_DOWN.notSynced);
  });
});

describe('the epoch of a message is settled once, before dispatch', () => {
  it('a follower drops a message of another epoch than its leader’s, whatever its kind, and stays', () => {
    const { server, lines } = recorded(2, 3, { acceptedEpoch: 1, currentEpoch: 1 });
    server.step({ kind: 'coordinator', from: 3, rank: rank(3, 1), leading: false });
    server.step({ kind: 'NEWEPOCH', from: 3, epoch: 2, quorumAccepted: false });
    server.ready();
    // A TRUNC in the wrong phase would make the follower look again; of another epoch it is only dropped.
    const stale: Message[] = [
      { kind: 'TRUNC', from: 3, epoch: 1, zxid: zxid(1, 1) },
      { kind: 'UPTODATE', from: 3, epoch: 3, committedZxid: zxid(1, 1) },
      { kind: 'transaction_commit', from: 3, epoch: 1, zxid: zxid(1, 1) },
    ];
    for (const message of stale) server.step(message);
    expect(server.state).toBe('FOLLOWING');
    expect(server.hasReady()).toBe(false);
    expect(lines.slice(-3)).toEqual([
      '2 [FOLLOWING epoch 1 zxid 0:0] ignored TRUNC from 3: epoch 1, FOLLOWING in epoch 2',
      '2 [FOLLOWING epoch 1 zxid 0:0] ignored UPTODATE from 3: epoch 3, FOLLOWING in epoch 2',
      '2 [FOLLOWING epoch 1 zxid 0:0] ignored transaction_commit from 3: epoch 1, FOLLOWING in epoch 2',
    ]);
    // The same TRUNC in the leader's epoch reaches the role.
    server.step({ kind: 'TRUNC', from: 3, epoch: 2, zxid: zxid(0, 0) });
    expect(server.ready().persist).toEqual([{ kind: 'truncateAfter', zxid: zxid(0, 0) }]);
  });
});

describe('epochs change only through saveEpochs', () => {
  it('changes memory and the persist batch together, and never lowers an epoch', () => {
    const { server } = recorded(1, 3, { acceptedEpoch: 4, currentEpoch: 3 });
    server.saveEpochs({ acceptedEpoch: 5 });
    expect([server.acceptedEpoch, server.currentEpoch]).toEqual([5, 3]);
    expect(server.ready().persist).toEqual([{ kind: 'saveEpochs', acceptedEpoch: 5, currentEpoch: 3 }]);
    expect(() => server.saveEpochs({ acceptedEpoch: 4 })).toThrow(AssertionError);
    expect(() => server.saveEpochs({ currentEpoch: 2 })).toThrow(AssertionError);
    expect(() => server.saveEpochs({ currentEpoch: 6 })).toThrow(/acceptedEpoch 5 below currentEpoch 6/);
    expect([server.acceptedEpoch, server.currentEpoch]).toEqual([5, 3]);
    expect(server.ready().persist).toEqual([]);
  });
});

describe('RECOVERING is a state of its own', () => {
  it('a server that leaves its role is RECOVERING until its storage is reloaded, then LOOKING', () => {
    const { server, marks } = recorded(2, 3, { acceptedEpoch: 1, currentEpoch: 1 });
    server.step({ kind: 'coordinator', from: 3, rank: rank(3, 1), leading: true });
    server.step({ kind: 'LinkDown', peer: 3 });
    expect(server.state).toBe('RECOVERING');
    expect(server.view().serving).toBe(false);
    expect(marks).toContain(STEP_DOWN.linkToLeaderDown);
    const ready = server.ready();
    expect(ready.reload).toBe(true);
    // Ticks while recovering fire nothing.
    for (let tick = 0; tick < 50; tick++) server.tick();
    expect(server.state).toBe('RECOVERING');
    expect(server.hasReady()).toBe(false);
    server.step({ kind: 'Recovered', incarnation: ready.incarnation, state: { ...EMPTY_PERSISTED_STATE, acceptedEpoch: 1, currentEpoch: 1 }, storageId: 'storage-2' });
    expect(server.state).toBe('LOOKING');
    expect(marks).not.toContain(MARK.becomesLeaderElect);
  });
});
