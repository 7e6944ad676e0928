import type { Proposal, Snapshot } from './types.ts';
import type { Zxid } from './zxid.ts';

/**
 * What a server keeps across crashes: ZAB's two epochs, the transaction log and the newest
 * snapshot. `logBaseZxid` is the zxid of the entry just before `log[0]` (ZERO_ZXID when the log
 * was never compacted): the log covers the history (logBaseZxid, last].
 *
 * Invariant: logBaseZxid <= snapshot.zxid <= zxid of the last log entry (or == logBaseZxid
 * when the log is empty), and the log is a contiguous history (each entry a successor of the
 * previous one).
 */
export interface PersistedState {
  readonly acceptedEpoch: number;
  readonly currentEpoch: number;
  readonly snapshot: Snapshot | null;
  readonly logBaseZxid: Zxid;
  readonly log: readonly Proposal[];
}

/**
 * One step of a durable write. The storage operations could be methods; here they are
 * data so the protocol can hand a whole batch to the driver, and so a batch of proposals that
 * arrived together is written in one transaction (group commit).
 */
export type PersistOp =
  | { readonly kind: 'saveEpochs'; readonly acceptedEpoch: number; readonly currentEpoch: number }
  | { readonly kind: 'appendProposals'; readonly proposals: readonly Proposal[] }
  /** Drops every log entry after `zxid` (TRUNC). */
  | { readonly kind: 'truncateAfter'; readonly zxid: Zxid }
  /** Stores a snapshot of committed state as the newest. */
  | { readonly kind: 'saveSnapshot'; readonly snapshot: Snapshot }
  /** Drops log entries up to and including `zxid`, which becomes the log base. */
  | { readonly kind: 'compactLog'; readonly throughZxid: Zxid }
  /** SNAP from a leader: the snapshot replaces the log entirely, in one atomic step. */
  | { readonly kind: 'installSnapshot'; readonly snapshot: Snapshot };

/**
 * Durable storage of one server. Every write resolves only once durable, and each `write`
 * batch is atomic: a crash leaves all of it or none of it. Batches are applied in the order
 * they were issued; the driver never has two in flight.
 */
export interface Storage {
  /**
   * A random id made when this storage was created and kept for its whole life (core/seats.ts):
   * the ensemble compares it with the one it recorded for the seat, so a blank or replaced
   * storage never counts toward a quorum until it is synced and re-admitted.
   */
  readonly storageId: string;
  loadState(): Promise<PersistedState>;
  write(batch: readonly PersistOp[]): Promise<void>;
}

export const EMPTY_PERSISTED_STATE: PersistedState = Object.freeze({
  acceptedEpoch: 0,
  currentEpoch: 0,
  snapshot: null,
  logBaseZxid: { epoch: 0, counter: 0 },
  log: [],
});
