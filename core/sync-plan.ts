import type { ZabLog } from './zab-log.ts';
import { compareZxid, zxidEquals, type Zxid } from './zxid.ts';

/**
 * How a leader brings one learner to its history, from the learner's last durable zxid
 * (as LearnerHandler.syncFollower decides in ZooKeeper):
 * - DIFF: the learner's last zxid is a point of the leader's history: send what follows it.
 * - TRUNC then DIFF: the learner has a suffix the leader lacks (proposals of an old epoch that
 *   never committed): cut back to the last point both share, then send what follows.
 * - SNAP then DIFF: the leader's log no longer reaches back to the learner: send the committed
 *   state, then the log after it.
 *
 * Zxids name txns uniquely (one leader per epoch, counters never reused in an epoch), so a
 * zxid both histories contain is a point where they agree up to.
 */
export type SyncPlan =
  | { readonly mode: 'DIFF'; readonly from: Zxid }
  | { readonly mode: 'TRUNC'; readonly truncateTo: Zxid; readonly from: Zxid }
  | { readonly mode: 'SNAP'; readonly from: Zxid };

export function planSync(log: ZabLog, learnerLastZxid: Zxid, committedZxid: Zxid): SyncPlan {
  const leaderLast = log.lastZxid;
  if (zxidEquals(learnerLastZxid, leaderLast)) return { mode: 'DIFF', from: leaderLast };
  if (compareZxid(learnerLastZxid, leaderLast) > 0) {
    // The learner is ahead with proposals that never reached a quorum: keep what the leader has.
    return { mode: 'TRUNC', truncateTo: leaderLast, from: leaderLast };
  }
  if (compareZxid(learnerLastZxid, log.baseZxid) < 0) return { mode: 'SNAP', from: committedZxid };
  if (log.hasPoint(learnerLastZxid)) return { mode: 'DIFF', from: learnerLastZxid };
  const shared = log.pointBefore(learnerLastZxid);
  return { mode: 'TRUNC', truncateTo: shared, from: shared };
}
