import { describe, expect, it } from 'vitest';
import { planSync } from './sync-plan.ts';
import type { Proposal } from './types.ts';
import { ZabLog } from './zab-log.ts';
import { zxid, ZERO_ZXID, type Zxid } from './zxid.ts';

function proposal(at: Zxid): Proposal {
  return { zxid: at, txn: { originator: 1, requestId: at.counter, type: 'op', op: null } };
}

/** A leader log with history 1:1 1:2 1:3 3:1 3:2 (epoch 2 never proposed anything). */
function leaderLog(): ZabLog {
  const log = ZabLog.fromPersisted({
    acceptedEpoch: 3,
    currentEpoch: 3,
    snapshot: null,
    logBaseZxid: ZERO_ZXID,
    log: [zxid(1, 1), zxid(1, 2), zxid(1, 3), zxid(3, 1), zxid(3, 2)].map(proposal),
  });
  return log;
}

describe('planSync (Zab paper §4, phase 2; ZooKeeper LearnerHandler.syncFollower)', () => {
  it('sends an empty DIFF to a learner with the same last zxid', () => {
    expect(planSync(leaderLog(), zxid(3, 2), zxid(3, 2))).toEqual({ mode: 'DIFF', from: zxid(3, 2) });
  });

  it('sends a DIFF from a point of the leader history', () => {
    expect(planSync(leaderLog(), zxid(1, 2), zxid(3, 2))).toEqual({ mode: 'DIFF', from: zxid(1, 2) });
    expect(planSync(leaderLog(), ZERO_ZXID, zxid(3, 2))).toEqual({ mode: 'DIFF', from: ZERO_ZXID });
  });

  it('truncates a learner ahead of the leader back to the leader last zxid', () => {
    expect(planSync(leaderLog(), zxid(3, 5), zxid(3, 2))).toEqual({ mode: 'TRUNC', truncateTo: zxid(3, 2), from: zxid(3, 2) });
  });

  it('truncates an uncommitted old-epoch suffix to the last shared point, then DIFFs', () => {
    // The learner followed an epoch-2 leader that proposed 2:1, 2:2 which never reached a quorum.
    expect(planSync(leaderLog(), zxid(2, 2), zxid(3, 2))).toEqual({ mode: 'TRUNC', truncateTo: zxid(1, 3), from: zxid(1, 3) });
    expect(planSync(leaderLog(), zxid(1, 4), zxid(3, 2))).toEqual({ mode: 'TRUNC', truncateTo: zxid(1, 3), from: zxid(1, 3) });
  });

  it('sends SNAP when the log was compacted past the learner', () => {
    const log = leaderLog();
    log.compactThrough(zxid(1, 3));
    expect(planSync(log, zxid(1, 2), zxid(3, 2))).toEqual({ mode: 'SNAP', from: zxid(3, 2) });
    expect(planSync(log, zxid(1, 3), zxid(3, 2))).toEqual({ mode: 'DIFF', from: zxid(1, 3) });
  });
});
