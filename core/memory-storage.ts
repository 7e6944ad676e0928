import type { PersistOp, PersistedState, Storage } from './storage.ts';
import { EMPTY_PERSISTED_STATE } from './storage.ts';
import { applyPersistOps } from './persist-batch.ts';

/**
 * Storage kept in memory, for unit tests of the driver and for the browser before IndexedDB is
 * open. `write` applies its batch after one microtask (so callers cannot rely on it being
 * synchronous) and all at once; a batch that breaks an invariant rejects and changes nothing.
 */
let memoryStorages = 0;

export class MemoryStorage implements Storage {
  /** Invariant: only ever replaced, never mutated (see applyPersistOps). */
  private state: PersistedState;

  /** `storageId`: unique in this process by default (core/ has no randomness of its own). */
  constructor(
    initial: PersistedState = EMPTY_PERSISTED_STATE,
    readonly storageId: string = `memory-${++memoryStorages}`,
  ) {
    this.state = initial;
  }

  async loadState(): Promise<PersistedState> {
    await Promise.resolve();
    // States are never mutated, but a caller that casts the log to a mutable array must not be
    // able to change what is stored: hand out a copy of the one mutable-looking part.
    return { ...this.state, log: this.state.log.slice() };
  }

  async write(batch: readonly PersistOp[]): Promise<void> {
    await Promise.resolve();
    this.state = applyPersistOps(this.state, batch);
  }

  /** The durable state right now, for tests and checkers. Treat as immutable. */
  snapshotState(): PersistedState {
    return this.state;
  }
}
