import { openDB, unwrap, type DBSchema, type IDBPDatabase, type StoreNames } from 'idb';
import { applyPersistOps, lastLoggedZxid } from '../../core/persist-batch.ts';
import type { PersistedState, PersistOp, Storage } from '../../core/storage.ts';
import { Listeners } from '../../core/listeners.ts';
import type { Proposal, ServerId, Snapshot } from '../../core/types.ts';
import { compareZxid, formatZxid, isSuccessor, ZERO_ZXID, zxidEquals, type Zxid } from '../../core/zxid.ts';

/**
 * `Storage` on IndexedDB: one database per (cluster, seat), named `tabkeeper/<cluster>/<sid>`,
 * so a reloaded tab that reclaims its seat finds its own history.
 *
 * Layout (schema version 1):
 * - `meta`: key `state` → `{acceptedEpoch, currentEpoch, logBaseZxid}`; key `identity` →
 *   `{storageId, createdAtMs}`, a random id made when the database is created (the amnesia check,
 *   core/seats.ts and docs/ARCHITECTURE.md rule 7: a storage that was wiped gets a new id).
 * - `log`: one record per accepted proposal `{zxid, txn}`, keyed `[epoch, counter]`: IndexedDB
 *   orders array keys element by element, so the store iterates in zxid order and a TRUNC or a
 *   compaction is one key-range delete.
 * - `snapshot`: key `newest` → the newest snapshot `{zxid, data, digest}`.
 *
 * `write(batch)` is one readwrite transaction over the stores the batch touches, with `strict`
 * durability (flushed to disk before `complete`), and resolves on the transaction's completion:
 * the driver acks proposals only after that. The batch's semantics are exactly those of
 * `applyPersistOps` (core/persist-batch.ts): the new state is first computed with it on a mirror
 * of what is stored, so a batch that breaks an invariant is refused before anything is written,
 * and the requests then issued turn the stored state into that same new state.
 *
 * Failures are never swallowed: a write or load that fails rejects with a `StorageError` whose
 * message says what happened and what to do (quota, a blocked or foreign version change, the
 * browser closing the database), and errors that arrive outside any call (another tab deleting
 * or upgrading the database) go to `onError` listeners. After such an error the storage refuses
 * every later call: the node must stop rather than ack without a durable write.
 */

export const SCHEMA_VERSION = 1;

export type StorageErrorCode = 'unsupported' | 'blocked' | 'version-change' | 'terminated' | 'quota' | 'corrupt' | 'failed';

export class StorageError extends Error {
  override name = 'StorageError';

  constructor(
    readonly code: StorageErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

interface MetaState {
  readonly acceptedEpoch: number;
  readonly currentEpoch: number;
  readonly logBaseZxid: Zxid;
}

interface MetaIdentity {
  readonly storageId: string;
  readonly createdAtMs: number;
}

interface TabKeeperSchema extends DBSchema {
  meta: { key: 'state' | 'identity'; value: MetaState | MetaIdentity };
  log: { key: [number, number]; value: Proposal };
  snapshot: { key: 'newest'; value: Snapshot };
}

type Store = StoreNames<TabKeeperSchema>;

export function databaseName(cluster: string, sid: ServerId): string {
  return `tabkeeper/${cluster}/${sid}`;
}

export interface OpenOptions {
  readonly cluster: string;
  readonly sid: ServerId;
  /** How long to wait for a blocked open (another tab holds an older version open) before failing. */
  readonly blockedTimeoutMs?: number;
}

export class IndexedDbStorage implements Storage {
  /**
   * What this storage last wrote or read: the state `write` applies each batch to first.
   * Invariant: equal to what the database holds whenever no write is in flight.
   */
  private mirror: PersistedState | null = null;
  private failure: StorageError | null = null;
  private closed = false;
  private readonly errorListeners = new Listeners<[StorageError]>();
  writes = 0;

  private constructor(
    private readonly db: IDBPDatabase<TabKeeperSchema>,
    readonly name: string,
    readonly storageId: string,
  ) {}

  /** Opens (creating if needed) the database of one seat. Rejects with a StorageError. */
  static async open(options: OpenOptions): Promise<IndexedDbStorage> {
    const name = databaseName(options.cluster, options.sid);
    if (typeof indexedDB === 'undefined') {
      throw new StorageError('unsupported', 'IndexedDB is not available in this browser (private mode may disable it): this tab cannot keep a seat');
    }
    let storage: IndexedDbStorage | null = null;
    const db = await openWithBlockTimeout(name, options.blockedTimeoutMs ?? 5_000, {
      blocking: () => storage?.lose(new StorageError('version-change', `another tab is upgrading or deleting IndexedDB database ${name}: this tab closed it and stopped serving; reload to rejoin`)),
      terminated: () => storage?.lose(new StorageError('terminated', `the browser closed IndexedDB database ${name} unexpectedly (site data cleared or a disk error): this tab stopped serving`)),
    });
    try {
      const identity = await readOrCreateIdentity(db);
      storage = new IndexedDbStorage(db, name, identity.storageId);
      return storage;
    } catch (error) {
      db.close();
      throw storageErrorOf(error, `opening IndexedDB database ${name}`);
    }
  }

  /** Errors that happen outside any call (the database was taken away). */
  onError(listener: (error: StorageError) => void): void {
    this.errorListeners.add(listener);
  }

  get error(): StorageError | null {
    return this.failure;
  }

  async loadState(): Promise<PersistedState> {
    this.assertUsable();
    let state: PersistedState;
    try {
      const tx = this.db.transaction(['meta', 'log', 'snapshot'], 'readonly');
      const [meta, snapshot, log] = await Promise.all([
        tx.objectStore('meta').get('state') as Promise<MetaState | undefined>,
        tx.objectStore('snapshot').get('newest'),
        tx.objectStore('log').getAll(),
        tx.done,
      ]);
      state = {
        acceptedEpoch: meta?.acceptedEpoch ?? 0,
        currentEpoch: meta?.currentEpoch ?? 0,
        logBaseZxid: meta?.logBaseZxid ?? ZERO_ZXID,
        snapshot: snapshot ?? null,
        log,
      };
    } catch (error) {
      throw this.fail(storageErrorOf(error, `reading ${this.name}`));
    }
    const problem = storedStateProblem(state);
    if (problem !== null) throw this.fail(new StorageError('corrupt', `IndexedDB database ${this.name} holds an inconsistent history (${problem}); clear this site's data to start the seat afresh`));
    const expected = this.mirror;
    if (expected !== null) {
      // Pair check of the writes: what was read back is what the writes said they stored.
      const mismatch = stateMismatch(expected, state);
      if (mismatch !== null) throw this.fail(new StorageError('corrupt', `IndexedDB database ${this.name} changed under this tab (${mismatch}): is another tab writing the same seat?`));
    }
    this.mirror = state;
    return { ...state, log: state.log.slice() };
  }

  async write(batch: readonly PersistOp[]): Promise<void> {
    this.assertUsable();
    if (batch.length === 0) return;
    const before = this.mirror ?? (await this.loadState());
    // Throws (an AssertionError naming the op) for a batch that breaks an invariant: nothing is written.
    const after = applyPersistOps(before, batch);
    try {
      // The raw IndexedDB API (not idb's promises): this is the hot path of every write, and
      // only the transaction's outcome counts (a failed request fails it), so no request gets a
      // promise or listeners of its own.
      const tx = unwrap(this.db).transaction(storesOf(batch), 'readwrite', { durability: 'strict' });
      const outcome = completionOf(tx);
      try {
        issueRequests(tx, batch, after);
        // Every request is issued: commit now rather than when the requests' success events
        // have come back to this page and found none to follow (auto-commit), which costs a
        // round trip to the browser's IndexedDB backend and a task here per write.
        commitNow(tx);
      } catch (error) {
        // A request refused at once (DataCloneError…) does not abort the transaction by itself:
        // the requests issued before it would commit. All or nothing: abort.
        tx.abort();
        void outcome.catch(() => undefined);
        throw error;
      }
      await outcome;
    } catch (error) {
      throw this.fail(storageErrorOf(error, `writing ${describeBatch(batch)} to ${this.name}`));
    }
    this.mirror = after;
    this.writes++;
  }

  /** Closes the connection (pagehide); later calls reject. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  private assertUsable(): void {
    if (this.failure !== null) throw this.failure;
    if (this.closed) throw new StorageError('failed', `IndexedDB database ${this.name} is closed`);
  }

  /** A failed transaction leaves the mirror unknown: nothing more is written until a reload. */
  private fail(error: StorageError): StorageError {
    this.failure ??= error;
    return error;
  }

  private lose(error: StorageError): void {
    if (this.failure !== null && this.failure.code === error.code) return;
    this.fail(error);
    this.close();
    this.errorListeners.emit(error);
  }
}

/** The stores a batch writes: a transaction locks only those. */
function storesOf(batch: readonly PersistOp[]): Store[] {
  const stores = new Set<Store>();
  for (const op of batch) {
    switch (op.kind) {
      case 'saveEpochs':
        stores.add('meta');
        break;
      case 'appendProposals':
      case 'truncateAfter':
        stores.add('log');
        break;
      case 'saveSnapshot':
        stores.add('snapshot');
        break;
      case 'compactLog':
        stores.add('meta').add('log');
        break;
      case 'installSnapshot':
        stores.add('meta').add('log').add('snapshot');
        break;
    }
  }
  return [...stores];
}

/**
 * The requests that make the stored state equal `after`, issued in the batch's order (a
 * transaction runs its requests in order, so an append followed by a TRUNC in one batch ends as
 * applyPersistOps says). The meta record is written once, from `after`. The stores are those of
 * TabKeeperSchema (the raw API does not check their names or values: storesOf lists them).
 */
function issueRequests(tx: IDBTransaction, batch: readonly PersistOp[], after: PersistedState): void {
  let metaChanged = false;
  for (const op of batch) {
    switch (op.kind) {
      case 'saveEpochs':
        metaChanged = true;
        break;
      case 'appendProposals': {
        const log = tx.objectStore('log');
        for (const proposal of op.proposals) log.put(proposal, keyOf(proposal.zxid));
        break;
      }
      case 'truncateAfter':
        tx.objectStore('log').delete(IDBKeyRange.lowerBound(keyOf(op.zxid), true));
        break;
      case 'saveSnapshot':
        tx.objectStore('snapshot').put(op.snapshot, 'newest');
        break;
      case 'compactLog':
        metaChanged = true;
        tx.objectStore('log').delete(IDBKeyRange.upperBound(keyOf(op.throughZxid)));
        break;
      case 'installSnapshot':
        metaChanged = true;
        tx.objectStore('log').clear();
        tx.objectStore('snapshot').put(op.snapshot, 'newest');
        break;
    }
  }
  if (metaChanged) {
    const meta: MetaState = { acceptedEpoch: after.acceptedEpoch, currentEpoch: after.currentEpoch, logBaseZxid: after.logBaseZxid };
    tx.objectStore('meta').put(meta, 'state');
  }
}

/**
 * Resolves when the transaction commits; rejects with the error that failed it (a failed
 * request's, or the transaction's own: QuotaExceededError…), or an AbortError.
 */
function completionOf(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    const aborted = () => tx.error ?? new DOMException('the transaction was aborted', 'AbortError');
    tx.oncomplete = () => resolve();
    // A failed request's error event reaches the transaction first (then it aborts): name that error.
    tx.onerror = (event) => reject((event.target as IDBRequest | null)?.error ?? aborted());
    tx.onabort = () => reject(aborted());
  });
}

/** `IDBTransaction.commit()` where the browser has it (Chromium 76, Firefox 74, Safari 15); auto-commit otherwise. */
function commitNow(tx: IDBTransaction): void {
  if (typeof tx.commit === 'function') tx.commit();
}

function keyOf(zxid: Zxid): [number, number] {
  return [zxid.epoch, zxid.counter];
}

async function openWithBlockTimeout(
  name: string,
  blockedTimeoutMs: number,
  callbacks: { blocking: () => void; terminated: () => void },
): Promise<IDBPDatabase<TabKeeperSchema>> {
  let blockedTimer: ReturnType<typeof setTimeout> | undefined;
  let gaveUp = false;
  let giveUp: (error: StorageError) => void = () => undefined;
  const blocked = new Promise<never>((_, reject) => (giveUp = reject));
  const opening = openDB<TabKeeperSchema>(name, SCHEMA_VERSION, {
    upgrade(db) {
      // Version 1 is the only schema so far: create what is missing.
      if (!db.objectStoreNames.contains('meta')) db.createObjectStore('meta');
      if (!db.objectStoreNames.contains('log')) db.createObjectStore('log');
      if (!db.objectStoreNames.contains('snapshot')) db.createObjectStore('snapshot');
    },
    blocked() {
      blockedTimer ??= setTimeout(() => {
        gaveUp = true;
        giveUp(new StorageError('blocked', `opening IndexedDB database ${name} is blocked by another tab that holds an older version open: close the other TabKeeper tabs of this site and reload`));
      }, blockedTimeoutMs);
    },
    blocking: callbacks.blocking,
    terminated: callbacks.terminated,
  });
  try {
    return await Promise.race([opening, blocked]);
  } catch (error) {
    // A blocked open may still succeed later: close that connection rather than leak it.
    if (gaveUp) void opening.then((db) => db.close()).catch(() => undefined);
    throw storageErrorOf(error, `opening IndexedDB database ${name}`);
  } finally {
    clearTimeout(blockedTimer);
  }
}

async function readOrCreateIdentity(db: IDBPDatabase<TabKeeperSchema>): Promise<MetaIdentity> {
  const tx = db.transaction('meta', 'readwrite');
  const store = tx.objectStore('meta');
  let identity = (await store.get('identity')) as MetaIdentity | undefined;
  if (identity === undefined) {
    identity = { storageId: crypto.randomUUID(), createdAtMs: Date.now() };
    await store.put(identity, 'identity');
  }
  await tx.done;
  return identity;
}

/** A StorageError that says what failed, with the browser's error name (QuotaExceededError…). */
export function storageErrorOf(error: unknown, doing: string): StorageError {
  if (error instanceof StorageError) return error;
  const { name, message } = error instanceof Error || isDomException(error) ? (error as Error) : { name: 'Error', message: String(error) };
  if (name === 'QuotaExceededError') {
    return new StorageError('quota', `IndexedDB is out of space while ${doing} (QuotaExceededError): free disk space or clear this site's data, then reload`, { cause: error });
  }
  if (name === 'VersionError') {
    return new StorageError('version-change', `IndexedDB holds a newer schema than this page knows while ${doing} (VersionError): reload to get the newer app`, { cause: error });
  }
  if (name === 'InvalidStateError') {
    return new StorageError('terminated', `the IndexedDB connection is closed while ${doing} (InvalidStateError: ${message})`, { cause: error });
  }
  return new StorageError('failed', `IndexedDB failed while ${doing}: ${name}: ${message}`, { cause: error });
}

function isDomException(error: unknown): boolean {
  return typeof DOMException !== 'undefined' && error instanceof DOMException;
}

function describeBatch(batch: readonly PersistOp[]): string {
  return batch.map((op) => op.kind).join('+');
}

/** Why a state read back from the database breaks PersistedState's invariant, or null. */
export function storedStateProblem(state: PersistedState): string | null {
  if (state.acceptedEpoch < state.currentEpoch) return `acceptedEpoch ${state.acceptedEpoch} < currentEpoch ${state.currentEpoch}`;
  let previous = state.logBaseZxid;
  for (const proposal of state.log) {
    if (!isSuccessor(previous, proposal.zxid)) return `log entry ${formatZxid(proposal.zxid)} does not follow ${formatZxid(previous)}`;
    previous = proposal.zxid;
  }
  const snapshotZxid = state.snapshot?.zxid ?? null;
  if (snapshotZxid === null) {
    return zxidEquals(state.logBaseZxid, ZERO_ZXID) ? null : `log base ${formatZxid(state.logBaseZxid)} without a snapshot`;
  }
  if (compareZxid(state.logBaseZxid, snapshotZxid) > 0) return `log base ${formatZxid(state.logBaseZxid)} after the snapshot ${formatZxid(snapshotZxid)}`;
  if (compareZxid(snapshotZxid, lastLoggedZxid(state)) > 0) return `snapshot ${formatZxid(snapshotZxid)} after the last zxid ${formatZxid(lastLoggedZxid(state))}`;
  return null;
}

function stateMismatch(expected: PersistedState, actual: PersistedState): string | null {
  if (expected.acceptedEpoch !== actual.acceptedEpoch || expected.currentEpoch !== actual.currentEpoch) {
    return `epochs ${actual.acceptedEpoch}/${actual.currentEpoch}, expected ${expected.acceptedEpoch}/${expected.currentEpoch}`;
  }
  if (!zxidEquals(expected.logBaseZxid, actual.logBaseZxid) || !zxidEquals(lastLoggedZxid(expected), lastLoggedZxid(actual))) {
    return `log (${formatZxid(actual.logBaseZxid)}, ${formatZxid(lastLoggedZxid(actual))}], expected (${formatZxid(expected.logBaseZxid)}, ${formatZxid(lastLoggedZxid(expected))}]`;
  }
  if (expected.log.length !== actual.log.length) return `${actual.log.length} log entries, expected ${expected.log.length}`;
  const expectedSnapshot = expected.snapshot === null ? 'none' : formatZxid(expected.snapshot.zxid);
  const actualSnapshot = actual.snapshot === null ? 'none' : formatZxid(actual.snapshot.zxid);
  if (expectedSnapshot !== actualSnapshot) return `snapshot at ${actualSnapshot}, expected ${expectedSnapshot}`;
  return null;
}
