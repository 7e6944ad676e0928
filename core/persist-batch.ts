import { assert } from './assert.ts';
import type { PersistOp, PersistedState } from './storage.ts';
import type { Proposal, Snapshot } from './types.ts';
import type { Zxid } from './zxid.ts';
import { ZERO_ZXID, compareZxid, formatZxid, isSuccessor, zxidEquals } from './zxid.ts';

/*
 * What one storage write batch means: the PersistOps a Ready hands out, applied in order and all
 * at once to a durable state. Every Storage (MemoryStorage, the simulator's SimStorage, the
 * browser's IndexedDbStorage) computes its new state with `applyPersistOps`, so they cannot
 * disagree on what a batch does.
 */

/**
 * The state a batch is applied to. `log` starts as the input state's array and is copied the
 * first time an op changes it (`logOwned` then becomes true), so a batch copies the log at most
 * once and a batch that leaves the log alone shares it with the input state.
 */
interface Draft {
  acceptedEpoch: number;
  currentEpoch: number;
  snapshot: Snapshot | null;
  logBaseZxid: Zxid;
  log: readonly Proposal[];
  logOwned: boolean;
}

/**
 * Applies one write batch to a durable state and returns the new state. Pure: the input state
 * (and every array it holds) is never mutated, so states returned earlier stay valid snapshots;
 * callers must treat the result as immutable too. A broken precondition is a bug in the protocol
 * and fails an assertion; the input state is then left as it was (a batch is all or nothing).
 */
export function applyPersistOps(state: PersistedState, batch: readonly PersistOp[]): PersistedState {
  if (batch.length === 0) return state;
  const draft: Draft = {
    acceptedEpoch: state.acceptedEpoch,
    currentEpoch: state.currentEpoch,
    snapshot: state.snapshot,
    logBaseZxid: state.logBaseZxid,
    log: state.log,
    logOwned: false,
  };
  for (const op of batch) {
    switch (op.kind) {
      case 'saveEpochs':
        applySaveEpochs(draft, op.acceptedEpoch, op.currentEpoch);
        break;
      case 'appendProposals':
        applyAppendProposals(draft, op.proposals);
        break;
      case 'truncateAfter':
        applyTruncateAfter(draft, op.zxid);
        break;
      case 'saveSnapshot':
        applySaveSnapshot(draft, op.snapshot);
        break;
      case 'compactLog':
        applyCompactLog(draft, op.throughZxid);
        break;
      case 'installSnapshot':
        applyInstallSnapshot(draft, op.snapshot);
        break;
      default: {
        const unknown: never = op;
        assert(false, () => `applyPersistOps: unknown op ${JSON.stringify(unknown)}`);
      }
    }
  }
  assertStateInvariants(draft);
  return {
    acceptedEpoch: draft.acceptedEpoch,
    currentEpoch: draft.currentEpoch,
    snapshot: draft.snapshot,
    logBaseZxid: draft.logBaseZxid,
    log: draft.log,
  };
}

/** The zxid of the last log entry, or the log base when the log is empty. */
export function lastLoggedZxid(state: Pick<PersistedState, 'log' | 'logBaseZxid'>): Zxid {
  const last = state.log[state.log.length - 1];
  return last === undefined ? state.logBaseZxid : last.zxid;
}

/** Index of the entry with zxid `target` in a zxid-ordered log, or -1. Binary search. */
export function indexOfZxid(log: readonly Proposal[], target: Zxid): number {
  let low = 0;
  let high = log.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const entry = log[middle];
    assert(entry !== undefined, () => `indexOfZxid: hole at ${middle} of ${log.length}`);
    const order = compareZxid(entry.zxid, target);
    if (order === 0) return middle;
    if (order < 0) low = middle + 1;
    else high = middle - 1;
  }
  return -1;
}

function applySaveEpochs(draft: Draft, acceptedEpoch: number, currentEpoch: number): void {
  assert(acceptedEpoch >= currentEpoch, () => `saveEpochs: acceptedEpoch ${acceptedEpoch} < currentEpoch ${currentEpoch}`);
  assert(
    acceptedEpoch >= draft.acceptedEpoch,
    `saveEpochs: acceptedEpoch would decrease from ${draft.acceptedEpoch} to ${acceptedEpoch}`,
  );
  assert(
    currentEpoch >= draft.currentEpoch,
    `saveEpochs: currentEpoch would decrease from ${draft.currentEpoch} to ${currentEpoch}`,
  );
  draft.acceptedEpoch = acceptedEpoch;
  draft.currentEpoch = currentEpoch;
}

function applyAppendProposals(draft: Draft, proposals: readonly Proposal[]): void {
  if (proposals.length === 0) return;
  const log = ownLog(draft);
  let previous = lastLoggedZxid(draft);
  for (const proposal of proposals) {
    assert(
      isSuccessor(previous, proposal.zxid),
      () => `appendProposals: ${formatZxid(proposal.zxid)} does not follow last zxid ${formatZxid(previous)}`,
    );
    log.push(proposal);
    previous = proposal.zxid;
  }
}

function applyTruncateAfter(draft: Draft, zxid: Zxid): void {
  assertInHistory('truncateAfter', draft, zxid);
  const snapshotZxid = draft.snapshot?.zxid ?? ZERO_ZXID;
  assert(
    compareZxid(zxid, snapshotZxid) >= 0,
    () => `truncateAfter: ${formatZxid(zxid)} is before the snapshot at ${formatZxid(snapshotZxid)}`,
  );
  const keep = zxidEquals(zxid, draft.logBaseZxid) ? 0 : indexOfZxid(draft.log, zxid) + 1;
  if (keep === draft.log.length) return;
  if (draft.logOwned) {
    (draft.log as Proposal[]).length = keep;
  } else {
    draft.log = draft.log.slice(0, keep);
    draft.logOwned = true;
  }
}

function applySaveSnapshot(draft: Draft, snapshot: Snapshot): void {
  assertInHistory('saveSnapshot', draft, snapshot.zxid);
  const stored = draft.snapshot;
  if (stored !== null) {
    assert(
      compareZxid(snapshot.zxid, stored.zxid) >= 0,
      () => `saveSnapshot: ${formatZxid(snapshot.zxid)} is older than the stored snapshot ${formatZxid(stored.zxid)}`,
    );
  }
  draft.snapshot = snapshot;
}

function applyCompactLog(draft: Draft, throughZxid: Zxid): void {
  assertInHistory('compactLog', draft, throughZxid);
  const snapshotZxid = draft.snapshot?.zxid ?? ZERO_ZXID;
  assert(
    compareZxid(throughZxid, snapshotZxid) <= 0,
    () => `compactLog: ${formatZxid(throughZxid)} is past the newest snapshot ${formatZxid(snapshotZxid)}`,
  );
  if (zxidEquals(throughZxid, draft.logBaseZxid)) return;
  draft.log = draft.log.slice(indexOfZxid(draft.log, throughZxid) + 1);
  draft.logOwned = true;
  draft.logBaseZxid = throughZxid;
}

function applyInstallSnapshot(draft: Draft, snapshot: Snapshot): void {
  assert(
    snapshot.zxid.epoch >= 0 && snapshot.zxid.counter >= 0,
    () => `installSnapshot: invalid zxid ${formatZxid(snapshot.zxid)}`,
  );
  draft.log = [];
  draft.logOwned = true;
  draft.logBaseZxid = snapshot.zxid;
  draft.snapshot = snapshot;
  assert(lastLoggedZxid(draft) === snapshot.zxid, 'installSnapshot: log not emptied');
}

/** `zxid` must name a point of the stored history: the log base or one of the log's entries. */
function assertInHistory(operation: string, draft: Draft, zxid: Zxid): void {
  assert(
    compareZxid(zxid, draft.logBaseZxid) >= 0,
    () => `${operation}: ${formatZxid(zxid)} is before the log base ${formatZxid(draft.logBaseZxid)}`,
  );
  const last = lastLoggedZxid(draft);
  assert(
    compareZxid(zxid, last) <= 0,
    () => `${operation}: ${formatZxid(zxid)} is after the last zxid ${formatZxid(last)}`,
  );
  assert(
    zxidEquals(zxid, draft.logBaseZxid) || indexOfZxid(draft.log, zxid) >= 0,
    () => `${operation}: ${formatZxid(zxid)} is not in the log (${formatZxid(draft.logBaseZxid)}, ${formatZxid(last)}]`,
  );
}

/** Invariant (see PersistedState): logBaseZxid <= snapshot.zxid <= last zxid. O(1). */
function assertStateInvariants(draft: Draft): void {
  if (draft.snapshot === null) return;
  const snapshotZxid = draft.snapshot.zxid;
  assert(
    compareZxid(draft.logBaseZxid, snapshotZxid) <= 0,
    () => `state: log base ${formatZxid(draft.logBaseZxid)} is after the snapshot ${formatZxid(snapshotZxid)}`,
  );
  assert(
    compareZxid(snapshotZxid, lastLoggedZxid(draft)) <= 0,
    () => `state: snapshot ${formatZxid(snapshotZxid)} is after the last zxid ${formatZxid(lastLoggedZxid(draft))}`,
  );
}

function ownLog(draft: Draft): Proposal[] {
  if (!draft.logOwned) {
    draft.log = draft.log.slice();
    draft.logOwned = true;
  }
  return draft.log as Proposal[];
}
