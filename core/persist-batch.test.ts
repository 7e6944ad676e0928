import { describe, expect, it } from 'vitest';
import { AssertionError } from './assert.ts';
import { MemoryStorage } from './memory-storage.ts';
import { applyPersistOps, indexOfZxid, lastLoggedZxid } from './persist-batch.ts';
import type { PersistOp, PersistedState } from './storage.ts';
import { EMPTY_PERSISTED_STATE } from './storage.ts';
import type { Proposal, Snapshot } from './types.ts';
import { formatZxid, zxid } from './zxid.ts';

// Goal: every PersistOp's happy path and every assertion of applyPersistOps, plus the purity
// (inputs never change) that SimStorage relies on to keep in-flight and durable states apart;
// then MemoryStorage, the thinnest Storage over it.

function proposal(epoch: number, counter: number): Proposal {
  return { zxid: zxid(epoch, counter), txn: { originator: 1, requestId: counter, type: 'op', op: `${epoch}:${counter}` } };
}

function snapshotAt(epoch: number, counter: number): Snapshot {
  return { zxid: zxid(epoch, counter), data: { at: `${epoch}:${counter}` }, digest: `d${epoch}.${counter}` };
}

function logZxids(state: PersistedState): string[] {
  return state.log.map((entry) => formatZxid(entry.zxid));
}

/** Log 1:1 1:2 1:3 2:1 2:2, epochs 2/2, no snapshot. */
function sampleState(): PersistedState {
  return applyPersistOps(EMPTY_PERSISTED_STATE, [
    { kind: 'saveEpochs', acceptedEpoch: 2, currentEpoch: 2 },
    { kind: 'appendProposals', proposals: [proposal(1, 1), proposal(1, 2), proposal(1, 3), proposal(2, 1), proposal(2, 2)] },
  ]);
}

function expectAssertion(state: PersistedState, batch: PersistOp[], pattern: RegExp): void {
  expect(() => applyPersistOps(state, batch)).toThrow(AssertionError);
  expect(() => applyPersistOps(state, batch)).toThrow(pattern);
}

describe('applyPersistOps: saveEpochs', () => {
  it('sets both epochs', () => {
    const state = applyPersistOps(EMPTY_PERSISTED_STATE, [{ kind: 'saveEpochs', acceptedEpoch: 3, currentEpoch: 1 }]);
    expect(state.acceptedEpoch).toBe(3);
    expect(state.currentEpoch).toBe(1);
  });

  it('asserts acceptedEpoch >= currentEpoch', () => {
    expectAssertion(EMPTY_PERSISTED_STATE, [{ kind: 'saveEpochs', acceptedEpoch: 1, currentEpoch: 2 }], /acceptedEpoch 1 < currentEpoch 2/);
  });

  it('asserts neither epoch decreases', () => {
    const state = applyPersistOps(EMPTY_PERSISTED_STATE, [{ kind: 'saveEpochs', acceptedEpoch: 4, currentEpoch: 3 }]);
    expectAssertion(state, [{ kind: 'saveEpochs', acceptedEpoch: 3, currentEpoch: 3 }], /acceptedEpoch would decrease from 4 to 3/);
    expectAssertion(state, [{ kind: 'saveEpochs', acceptedEpoch: 4, currentEpoch: 2 }], /currentEpoch would decrease from 3 to 2/);
  });
});

describe('applyPersistOps: appendProposals', () => {
  it('appends direct successors, across epochs', () => {
    expect(logZxids(sampleState())).toEqual(['1:1', '1:2', '1:3', '2:1', '2:2']);
    expect(lastLoggedZxid(sampleState())).toEqual(zxid(2, 2));
  });

  it('asserts a gap in the counter', () => {
    expectAssertion(sampleState(), [{ kind: 'appendProposals', proposals: [proposal(2, 4)] }], /2:4 does not follow last zxid 2:2/);
  });

  it('asserts a new epoch starts at counter 1', () => {
    expectAssertion(sampleState(), [{ kind: 'appendProposals', proposals: [proposal(3, 2)] }], /3:2 does not follow/);
  });

  it('asserts order within one op', () => {
    const batch: PersistOp[] = [{ kind: 'appendProposals', proposals: [proposal(1, 1), proposal(1, 3)] }];
    expectAssertion(EMPTY_PERSISTED_STATE, batch, /1:3 does not follow last zxid 1:1/);
  });

  it('follows the log base when the log is empty', () => {
    const installed = applyPersistOps(EMPTY_PERSISTED_STATE, [{ kind: 'installSnapshot', snapshot: snapshotAt(2, 5) }]);
    expect(logZxids(applyPersistOps(installed, [{ kind: 'appendProposals', proposals: [proposal(2, 6)] }]))).toEqual(['2:6']);
    expectAssertion(installed, [{ kind: 'appendProposals', proposals: [proposal(1, 1)] }], /1:1 does not follow last zxid 2:5/);
  });
});

describe('applyPersistOps: truncateAfter', () => {
  it('drops entries after a logged zxid', () => {
    const state = applyPersistOps(sampleState(), [{ kind: 'truncateAfter', zxid: zxid(1, 2) }]);
    expect(logZxids(state)).toEqual(['1:1', '1:2']);
  });

  it('truncates to the log base (empty log)', () => {
    const state = applyPersistOps(sampleState(), [{ kind: 'truncateAfter', zxid: zxid(0, 0) }]);
    expect(state.log).toEqual([]);
  });

  it('asserts the zxid is in the log', () => {
    expectAssertion(sampleState(), [{ kind: 'truncateAfter', zxid: zxid(1, 4) }], /1:4 is not in the log/);
    expectAssertion(sampleState(), [{ kind: 'truncateAfter', zxid: zxid(3, 1) }], /3:1 is after the last zxid 2:2/);
  });

  it('asserts the zxid is not before the log base', () => {
    const compacted = applyPersistOps(sampleState(), [
      { kind: 'saveSnapshot', snapshot: snapshotAt(1, 3) },
      { kind: 'compactLog', throughZxid: zxid(1, 2) },
    ]);
    expectAssertion(compacted, [{ kind: 'truncateAfter', zxid: zxid(1, 1) }], /1:1 is before the log base 1:2/);
  });

  it('asserts the zxid is not before the snapshot', () => {
    const state = applyPersistOps(sampleState(), [{ kind: 'saveSnapshot', snapshot: snapshotAt(1, 3) }]);
    expectAssertion(state, [{ kind: 'truncateAfter', zxid: zxid(1, 2) }], /1:2 is before the snapshot at 1:3/);
    expect(logZxids(applyPersistOps(state, [{ kind: 'truncateAfter', zxid: zxid(1, 3) }]))).toEqual(['1:1', '1:2', '1:3']);
  });
});

describe('applyPersistOps: saveSnapshot', () => {
  it('stores the newest snapshot', () => {
    const state = applyPersistOps(sampleState(), [
      { kind: 'saveSnapshot', snapshot: snapshotAt(1, 2) },
      { kind: 'saveSnapshot', snapshot: snapshotAt(2, 1) },
    ]);
    expect(state.snapshot).toEqual(snapshotAt(2, 1));
    expect(logZxids(state)).toHaveLength(5);
  });

  it('asserts the snapshot is not older than the stored one', () => {
    const state = applyPersistOps(sampleState(), [{ kind: 'saveSnapshot', snapshot: snapshotAt(2, 1) }]);
    expectAssertion(state, [{ kind: 'saveSnapshot', snapshot: snapshotAt(1, 3) }], /1:3 is older than the stored snapshot 2:1/);
  });

  it('asserts the snapshot is within the log', () => {
    expectAssertion(sampleState(), [{ kind: 'saveSnapshot', snapshot: snapshotAt(2, 3) }], /2:3 is after the last zxid 2:2/);
    expectAssertion(sampleState(), [{ kind: 'saveSnapshot', snapshot: snapshotAt(1, 7) }], /1:7 is not in the log/);
    const compacted = applyPersistOps(sampleState(), [
      { kind: 'saveSnapshot', snapshot: snapshotAt(1, 3) },
      { kind: 'compactLog', throughZxid: zxid(1, 3) },
    ]);
    expectAssertion(compacted, [{ kind: 'saveSnapshot', snapshot: snapshotAt(1, 2) }], /1:2 is before the log base 1:3/);
  });
});

describe('applyPersistOps: compactLog', () => {
  it('drops entries through the zxid and moves the log base', () => {
    const state = applyPersistOps(sampleState(), [
      { kind: 'saveSnapshot', snapshot: snapshotAt(2, 1) },
      { kind: 'compactLog', throughZxid: zxid(1, 3) },
    ]);
    expect(logZxids(state)).toEqual(['2:1', '2:2']);
    expect(state.logBaseZxid).toEqual(zxid(1, 3));
    const appended = applyPersistOps(state, [{ kind: 'appendProposals', proposals: [proposal(2, 3)] }]);
    expect(logZxids(appended)).toEqual(['2:1', '2:2', '2:3']);
  });

  it('asserts it does not compact past the newest snapshot', () => {
    const state = applyPersistOps(sampleState(), [{ kind: 'saveSnapshot', snapshot: snapshotAt(1, 2) }]);
    expectAssertion(state, [{ kind: 'compactLog', throughZxid: zxid(1, 3) }], /1:3 is past the newest snapshot 1:2/);
    expectAssertion(sampleState(), [{ kind: 'compactLog', throughZxid: zxid(1, 1) }], /1:1 is past the newest snapshot 0:0/);
  });

  it('asserts the zxid is the log base or in the log', () => {
    const state = applyPersistOps(sampleState(), [{ kind: 'saveSnapshot', snapshot: snapshotAt(2, 2) }]);
    expectAssertion(state, [{ kind: 'compactLog', throughZxid: zxid(1, 9) }], /1:9 is not in the log/);
    expect(applyPersistOps(state, [{ kind: 'compactLog', throughZxid: zxid(0, 0) }]).log).toBe(state.log);
  });
});

describe('applyPersistOps: installSnapshot', () => {
  it('replaces the log and the snapshot, keeps the epochs', () => {
    const state = applyPersistOps(sampleState(), [{ kind: 'installSnapshot', snapshot: snapshotAt(3, 7) }]);
    expect(state.log).toEqual([]);
    expect(state.logBaseZxid).toEqual(zxid(3, 7));
    expect(state.snapshot).toEqual(snapshotAt(3, 7));
    expect(state.acceptedEpoch).toBe(2);
  });
});

describe('applyPersistOps: purity', () => {
  it('never mutates the input state', () => {
    const state = sampleState();
    const before = JSON.stringify(state);
    applyPersistOps(state, [{ kind: 'appendProposals', proposals: [proposal(2, 3)] }]);
    applyPersistOps(state, [{ kind: 'truncateAfter', zxid: zxid(1, 1) }]);
    applyPersistOps(state, [
      { kind: 'truncateAfter', zxid: zxid(1, 1) },
      { kind: 'appendProposals', proposals: [proposal(1, 2)] },
      { kind: 'truncateAfter', zxid: zxid(1, 1) },
    ]);
    applyPersistOps(state, [{ kind: 'installSnapshot', snapshot: snapshotAt(4, 1) }]);
    expect(JSON.stringify(state)).toBe(before);
  });

  it('shares the log when a batch does not touch it', () => {
    const state = sampleState();
    const next = applyPersistOps(state, [{ kind: 'saveEpochs', acceptedEpoch: 3, currentEpoch: 2 }]);
    expect(next.log).toBe(state.log);
  });

  it('applies nothing of a batch that fails (the input is untouched)', () => {
    const state = sampleState();
    const batch: PersistOp[] = [
      { kind: 'saveEpochs', acceptedEpoch: 3, currentEpoch: 3 },
      { kind: 'appendProposals', proposals: [proposal(9, 9)] },
    ];
    expect(() => applyPersistOps(state, batch)).toThrow(AssertionError);
    expect(state.acceptedEpoch).toBe(2);
  });

  it('finds entries by binary search', () => {
    const log = sampleState().log;
    expect(log.map((entry) => indexOfZxid(log, entry.zxid))).toEqual([0, 1, 2, 3, 4]);
    expect(indexOfZxid(log, zxid(1, 4))).toBe(-1);
    expect(indexOfZxid([], zxid(1, 1))).toBe(-1);
  });
});

describe('MemoryStorage', () => {
  it('applies a write after a microtask, then resolves', async () => {
    const storage = new MemoryStorage();
    const written = storage.write([{ kind: 'saveEpochs', acceptedEpoch: 1, currentEpoch: 0 }]);
    expect(storage.snapshotState().acceptedEpoch).toBe(0);
    await written;
    expect(storage.snapshotState().acceptedEpoch).toBe(1);
  });

  it('keeps what loadState returned unchanged by later writes', async () => {
    const storage = new MemoryStorage();
    await storage.write([{ kind: 'appendProposals', proposals: [proposal(1, 1)] }]);
    const loaded = await storage.loadState();
    await storage.write([{ kind: 'appendProposals', proposals: [proposal(1, 2)] }]);
    (loaded.log as Proposal[]).push(proposal(7, 7));
    expect(logZxids(loaded)).toEqual(['1:1', '7:7']);
    expect(logZxids(storage.snapshotState())).toEqual(['1:1', '1:2']);
    expect(logZxids(await storage.loadState())).toEqual(['1:1', '1:2']);
  });

  it('rejects a bad batch and keeps the state', async () => {
    const storage = new MemoryStorage(sampleState());
    const bad = storage.write([
      { kind: 'saveEpochs', acceptedEpoch: 5, currentEpoch: 5 },
      { kind: 'truncateAfter', zxid: zxid(1, 9) },
    ]);
    await expect(bad).rejects.toThrow(/1:9 is not in the log/);
    expect(storage.snapshotState().acceptedEpoch).toBe(2);
  });

  it('applies concurrent writes in issue order', async () => {
    const storage = new MemoryStorage();
    await Promise.all([
      storage.write([{ kind: 'appendProposals', proposals: [proposal(1, 1)] }]),
      storage.write([{ kind: 'appendProposals', proposals: [proposal(1, 2)] }]),
    ]);
    expect(logZxids(storage.snapshotState())).toEqual(['1:1', '1:2']);
  });
});
