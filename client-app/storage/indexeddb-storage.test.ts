import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../core/memory-storage.ts';
import { lastLoggedZxid } from '../../core/persist-batch.ts';
import { Prng } from '../../core/sim/prng.ts';
import type { PersistedState, PersistOp } from '../../core/storage.ts';
import type { Proposal, Snapshot } from '../../core/types.ts';
import { compareZxid, formatZxid, nextZxid, type Zxid } from '../../core/zxid.ts';
import { IndexedDbStorage, StorageError, databaseName, storedStateProblem } from './indexeddb-storage.ts';

// Goal: IndexedDbStorage means exactly what applyPersistOps (MemoryStorage) means. Method: feed
// both the same random batches, valid ones (every op kind, several per batch, as the driver's
// group commit makes them) and invalid ones (which both must refuse and leave as they were),
// and compare loadState() after each; then reopen the database as a reloaded tab would.

let databases = 0;
function freshCluster(): string {
  return `test-${++databases}-${Date.now()}`;
}

function proposalAt(zxid: Zxid): Proposal {
  return { zxid, txn: { originator: 1, requestId: zxid.counter, type: 'op', op: { set: formatZxid(zxid), nested: [1, 'two', null] } } };
}

function snapshotAt(zxid: Zxid): Snapshot {
  return { zxid, data: { at: formatZxid(zxid), nodes: { '/a': 'x' } }, digest: `d${formatZxid(zxid)}` };
}

/** The points of the stored history: the log base and every entry. */
function historyPoints(state: PersistedState): Zxid[] {
  return [state.logBaseZxid, ...state.log.map((entry) => entry.zxid)];
}

/** One op that is valid on `state` (as the protocol would issue it), drawn at random. */
function validOp(prng: Prng, state: PersistedState): PersistOp {
  const points = historyPoints(state);
  const snapshotZxid = state.snapshot?.zxid ?? state.logBaseZxid;
  const atOrAfterSnapshot = points.filter((zxid) => compareZxid(zxid, snapshotZxid) >= 0);
  const compactable = points.filter((zxid) => compareZxid(zxid, snapshotZxid) <= 0);
  switch (prng.int(0, 9)) {
    case 0:
    case 1: {
      const currentEpoch = state.currentEpoch + prng.int(0, 1);
      return { kind: 'saveEpochs', acceptedEpoch: Math.max(state.acceptedEpoch, currentEpoch) + prng.int(0, 1), currentEpoch };
    }
    case 2:
    case 3:
    case 4: {
      let last = lastLoggedZxid(state);
      const proposals: Proposal[] = [];
      for (let count = prng.int(1, 6); count > 0; count--) {
        last = nextZxid(last, Math.max(last.epoch, state.currentEpoch) + (prng.chance(0.1) ? 1 : 0));
        proposals.push(proposalAt(last));
      }
      return { kind: 'appendProposals', proposals };
    }
    case 5:
      return { kind: 'truncateAfter', zxid: prng.pick(atOrAfterSnapshot) };
    case 6:
      return { kind: 'saveSnapshot', snapshot: snapshotAt(prng.pick(atOrAfterSnapshot)) };
    case 7:
      return { kind: 'compactLog', throughZxid: prng.pick(compactable) };
    default: {
      if (prng.chance(0.7)) return { kind: 'appendProposals', proposals: [proposalAt(nextZxid(lastLoggedZxid(state), Math.max(1, state.currentEpoch, lastLoggedZxid(state).epoch)))] };
      const last = lastLoggedZxid(state);
      return { kind: 'installSnapshot', snapshot: snapshotAt({ epoch: last.epoch + 1, counter: prng.int(1, 5) }) };
    }
  }
}

/** An op that breaks an invariant of `state`. */
function invalidOp(prng: Prng, state: PersistedState): PersistOp {
  const last = lastLoggedZxid(state);
  switch (prng.int(0, 3)) {
    case 0:
      return { kind: 'appendProposals', proposals: [proposalAt({ epoch: last.epoch, counter: last.counter + 2 })] };
    case 1:
      return { kind: 'truncateAfter', zxid: { epoch: last.epoch + 5, counter: 1 } };
    case 2:
      return { kind: 'saveEpochs', acceptedEpoch: state.currentEpoch, currentEpoch: state.currentEpoch + 1 };
    default:
      return { kind: 'compactLog', throughZxid: { epoch: last.epoch, counter: last.counter + 1 } };
  }
}

/** A batch valid as a whole (each op drawn against the state the ops before it leave), and that state. */
async function validBatch(prng: Prng, memory: MemoryStorage): Promise<{ batch: PersistOp[]; after: PersistedState }> {
  const probe = new MemoryStorage(memory.snapshotState());
  const batch: PersistOp[] = [];
  for (let count = prng.int(1, 4); count > 0; count--) {
    const op = validOp(prng, probe.snapshotState());
    await probe.write([op]);
    batch.push(op);
  }
  return { batch, after: probe.snapshotState() };
}

async function outcome(promise: Promise<void>): Promise<'ok' | 'refused'> {
  try {
    await promise;
    return 'ok';
  } catch {
    return 'refused';
  }
}

describe('IndexedDbStorage', () => {
  it('stores what applyPersistOps computes, batch after batch, across every op kind', async () => {
    for (const seed of [1, 2, 3, 4]) {
      const prng = new Prng(seed);
      const cluster = freshCluster();
      const memory = new MemoryStorage();
      let storage = await IndexedDbStorage.open({ cluster, sid: 2 });
      expect(await storage.loadState()).toEqual(await memory.loadState());
      const kinds = new Set<string>();
      for (let round = 0; round < 150; round++) {
        const invalid = prng.chance(0.1);
        const valid = await validBatch(prng, memory);
        const batch = invalid ? [...valid.batch, invalidOp(prng, valid.after)] : valid.batch;
        for (const op of batch) kinds.add(op.kind);
        const expected = await outcome(memory.write(batch));
        expect(await outcome(storage.write(batch)), `seed ${seed} round ${round}`).toBe(expected);
        expect(expected).toBe(invalid ? 'refused' : 'ok');
        const stored = await storage.loadState();
        expect(stored, `seed ${seed} round ${round}`).toEqual(await memory.loadState());
        expect(storedStateProblem(stored)).toBeNull();
        if (round % 50 === 49) {
          // A reloaded tab: a new connection reads the same state.
          storage.close();
          storage = await IndexedDbStorage.open({ cluster, sid: 2 });
          expect(await storage.loadState()).toEqual(await memory.loadState());
        }
      }
      expect([...kinds].sort()).toEqual(['appendProposals', 'compactLog', 'installSnapshot', 'saveEpochs', 'saveSnapshot', 'truncateAfter']);
      storage.close();
    }
  });

  it('keeps one database per (cluster, seat), and one storageId per database', async () => {
    const cluster = freshCluster();
    const one = await IndexedDbStorage.open({ cluster, sid: 1 });
    const two = await IndexedDbStorage.open({ cluster, sid: 2 });
    await one.write([{ kind: 'saveEpochs', acceptedEpoch: 3, currentEpoch: 2 }]);
    expect((await two.loadState()).acceptedEpoch).toBe(0);
    expect(one.name).toBe(databaseName(cluster, 1));
    expect(one.name).toBe(`tabkeeper/${cluster}/1`);
    const id = one.storageId;
    one.close();
    const again = await IndexedDbStorage.open({ cluster, sid: 1 });
    expect(again.storageId).toBe(id);
    expect(two.storageId).not.toBe(id);
    expect((await again.loadState()).acceptedEpoch).toBe(3);
    again.close();
    two.close();
  });

  it('commits each write, strictly durable, as soon as its requests are issued (no wait for auto-commit)', async () => {
    const storage = await IndexedDbStorage.open({ cluster: freshCluster(), sid: 1 });
    const committed: { durability: string; stores: string[] }[] = [];
    const commit = IDBTransaction.prototype.commit;
    IDBTransaction.prototype.commit = function (this: IDBTransaction) {
      committed.push({ durability: this.durability, stores: [...this.objectStoreNames] });
      return commit.call(this);
    };
    try {
      await storage.write([{ kind: 'saveEpochs', acceptedEpoch: 1, currentEpoch: 1 }, { kind: 'appendProposals', proposals: [proposalAt({ epoch: 1, counter: 1 })] }]);
      await storage.write([{ kind: 'appendProposals', proposals: [proposalAt({ epoch: 1, counter: 2 }), proposalAt({ epoch: 1, counter: 3 })] }]);
    } finally {
      IDBTransaction.prototype.commit = commit;
    }
    expect(committed).toEqual([
      { durability: 'strict', stores: ['log', 'meta'] },
      { durability: 'strict', stores: ['log'] },
    ]);
    expect(lastLoggedZxid(await storage.loadState())).toEqual({ epoch: 1, counter: 3 });
    storage.close();
  });

  it('rejects a write the browser refuses, with a StorageError, and writes none of the batch', async () => {
    const storage = await IndexedDbStorage.open({ cluster: freshCluster(), sid: 1 });
    const good: Proposal = proposalAt({ epoch: 1, counter: 1 });
    // A function cannot be stored (DataCloneError): the transaction aborts.
    const unstorable = { zxid: { epoch: 1, counter: 2 }, txn: { ...good.txn, op: (() => 1) as unknown as null } };
    const error = await storage.write([{ kind: 'saveEpochs', acceptedEpoch: 1, currentEpoch: 1 }, { kind: 'appendProposals', proposals: [good, unstorable] }]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).message).toMatch(/IndexedDB failed while writing saveEpochs\+appendProposals/);
    // The storage refuses everything after a failed write: the node must stop, not carry on.
    await expect(storage.loadState()).rejects.toBeInstanceOf(StorageError);
    storage.close();
    const reopened = await IndexedDbStorage.open({ cluster: storage.name.split('/')[1]!, sid: 1 });
    expect(await reopened.loadState()).toEqual(await new MemoryStorage().loadState());
    reopened.close();
  });

  it('reports another tab upgrading or deleting the database, and refuses later writes', async () => {
    const cluster = freshCluster();
    const storage = await IndexedDbStorage.open({ cluster, sid: 1 });
    const reported: StorageError[] = [];
    storage.onError((error) => reported.push(error));
    const newer = await openDB(databaseName(cluster, 1), 2);
    newer.close();
    expect(reported).toHaveLength(1);
    expect(reported[0]!.code).toBe('version-change');
    expect(reported[0]!.message).toMatch(/another tab is upgrading or deleting/);
    await expect(storage.write([{ kind: 'saveEpochs', acceptedEpoch: 1, currentEpoch: 1 }])).rejects.toThrow(/another tab/);
  });

  it('refuses to open a database whose schema is newer than the page', async () => {
    const cluster = freshCluster();
    const newer = await openDB(databaseName(cluster, 1), 5);
    newer.close();
    await expect(IndexedDbStorage.open({ cluster, sid: 1 })).rejects.toMatchObject({ code: 'version-change' });
  });
});
