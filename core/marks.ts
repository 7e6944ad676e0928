/*
 * Coverage marks (TigerBeetle's marks.zig): rare paths that the simulator and the scenario tests
 * must see taken. Protocol code calls `server.mark(MARK.x)` or steps down with a `STEP_DOWN`
 * cause; a test asserts that `s.mark(MARK.x)` grew. Every mark is a named constant, so a test
 * never keys on the prose of a log line (which says what happened to whom, with numbers, and may
 * be reworded freely).
 */

export const MARK = {
  becomesLeaderElect: 'becomes leader-elect',
  roundEndsEarly: 'looking: every other voter defers or is gone, round ends early',
  storageNotAdmittedDoesNotLead: 'storage not admitted: does not lead',
  leaderFoundsCluster: 'leader: founds a new cluster',
  leaderRefusedFollowerInfoOutOfBounds: 'leader: refused FOLLOWERINFO epoch out of bounds',
  leaderEstablished: 'leader established',
  leaderRecordsSeats: 'leader records seats',
  leaderReadmitsStorage: 'leader re-admits a storage',
  leaderRaisesStorage: 'leader raises a storage to this epoch',
  leaderExpiresSession: 'leader expires a session',
  syncDiff: 'sync: DIFF',
  syncTrunc: 'sync: TRUNC',
  syncSnap: 'sync: SNAP',
  syncSnapInChunks: 'sync: SNAP in several chunks',
  syncDiffInMessages: 'sync: DIFF in several messages',
  syncConfirmed: 'sync confirmed by a quorum',
  syncConfirmedWithRound: 'sync confirmed with the round',
  followerRejoinsAcceptedEpoch: 'follower: rejoins accepted epoch',
  followerTrunc: 'follower: TRUNC',
  followerSnap: 'follower: SNAP',
  snapshotTaken: 'snapshot taken',
  logCompacted: 'log compacted',
  forceNewCluster: 'UNSAFE: force new cluster',
} as const;

/**
 * Why a server leaves its role and goes looking (`ZabServer.becomeLooking` takes one): each cause
 * is a coverage mark too. The log line beside it says the particulars.
 */
export const STEP_DOWN = {
  // A leader, in discovery or established.
  outrankedByLeader: 'looking: outranked by an established leader',
  outrankedByLeaderElect: 'looking: outranked by a leader-elect',
  learnerAcceptedLaterEpoch: 'looking: learner accepted a later epoch',
  followerHistoryMoreRecent: 'looking: follower history more recent',
  epochSpaceExhausted: 'looking: epoch space exhausted',
  zxidCounterExhausted: 'looking: zxid counter exhausted',
  notEstablished: 'looking: not established within initLimit',
  lostQuorum: 'looking: lost quorum',
  // A learner.
  leaderLooking: 'looking: leader is looking',
  leaderSilent: 'looking: leader silent for syncLimit',
  linkToLeaderDown: 'looking: link to leader down',
  notSynced: 'looking: not synced within initLimit',
  newEpochOutOfPhase: 'looking: NEWEPOCH after discovery',
  newEpochOutOfBounds: 'looking: NEWEPOCH out of bounds',
  newEpochNotAbove: 'looking: NEWEPOCH not above acceptedEpoch',
  syncOutOfPhase: 'looking: sync message out of phase',
  snapInterrupted: 'looking: SNAP interrupted',
  syncRefused: 'looking: refused sync content',
  diffDoesNotFollow: 'looking: DIFF does not follow the log',
  newLeaderMismatch: 'looking: NEWLEADER does not match the sync',
  newLeaderOtherEpoch: 'looking: NEWLEADER of another epoch',
  upToDateOutOfPhase: 'looking: UPTODATE out of phase',
  upToDateBeyondLog: 'looking: UPTODATE beyond the log',
  proposalDoesNotFollow: 'looking: proposal does not follow the log',
  commitNotInLog: 'looking: commit of a proposal not in the log',
  informDoesNotFollow: 'looking: inform does not follow the log',
  missedProposals: 'looking: follower missed proposals',
} as const;

export type StepDown = (typeof STEP_DOWN)[keyof typeof STEP_DOWN];
export type Mark = (typeof MARK)[keyof typeof MARK] | StepDown;

/** Every step-down cause: a test that counts role changes sums these. */
export const STEP_DOWN_CAUSES: ReadonlySet<string> = new Set<string>(Object.values(STEP_DOWN));
