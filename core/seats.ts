import * as v from 'valibot';
import type { PersistedState } from './storage.ts';
import type { Json, Proposal, ServerId } from './types.ts';

/**
 * The ensemble's record of which storage holds each voting seat: recovery before voting.
 *
 * A seat is a number; the storage behind it is not. A tab that takes a freed seat with an empty
 * IndexedDB (another browser profile, a private window, cleared site data) or a tab whose
 * database was restored from an old copy would, if it voted, let a quorum form that does not
 * hold every committed write: ZAB (like Raft and Paxos) assumes that what a server acked stays
 * on its disk. Viewstamped Replication Revisited (Liskov & Cowling, 2012, section 4.3) answers
 * with a recovery protocol: a replica that lost its state takes no part in any quorum until it
 * has learned the state from a quorum; "Protocol-Aware Recovery for Consensus-Based Storage"
 * (Alagappan et al., FAST '18) shows what goes wrong when storage faults are handled as crashes.
 *
 * Here every Storage carries a random `storageId`, made when it is created, and the ensemble
 * records seat -> (storageId, epoch) in its replicated state, by txns of kind `seats` that the
 * ZAB core applies itself (so it works for any state machine) and that snapshots carry beside
 * the state machine's state. The rule:
 *
 * - A voter counts toward a quorum (it may silence others with `higher_id`, lead, and its
 *   FOLLOWERINFO, ACKEPOCH, NEWLEADER ack and proposal acks count) only if the record names its
 *   storage for its seat. A new storage is synced like any learner, and counts once a committed
 *   `seats` txn records it (the leader proposes one as soon as the storage has acked NEWLEADER).
 * - Every established leader's first txn records every synced voter's storage with the new
 *   epoch; a brand-new cluster (nothing recorded anywhere) is born only when all N voters are
 *   present with blank storage, so fresh tabs still form a cluster, but two blank seats never
 *   outvote a third that holds the history.
 * - If a quorum of seats holds storage the ensemble does not know, no quorum of recorded storages
 *   can ever meet again: the cluster refuses to serve and says so. The only way on is the
 *   explicit, UNSAFE "force a new cluster" action, which re-records whatever storages are present
 *   (committed writes that only the lost storages held are gone), like etcd's --force-new-cluster.
 *
 * Rolled-back storage (an older copy with the same storageId): the `epoch` of an entry is the
 * epoch in which the storage was last recorded, after it had acked NEWLEADER of that epoch, so a
 * sound storage's currentEpoch is at least that epoch. A storage that presents a lower
 * currentEpoch was rolled back to a copy from before it was last recorded: it is treated as new
 * and must be re-admitted. Limits: a rollback within the epoch it was last recorded in is not
 * detected (that copy may miss acked proposals of that epoch), and only servers whose record is
 * at least as new as that entry detect it. A disk that silently loses its latest writes is
 * outside ZAB's model, as it is outside Raft's.
 */
export interface SeatEntry {
  readonly sid: ServerId;
  readonly storageId: string;
  /** The epoch in which the ensemble last recorded this storage for this seat. */
  readonly epoch: number;
}

/** seat -> entry; an empty record means nothing was ever recorded (a brand-new cluster). */
export type SeatRecord = ReadonlyMap<ServerId, SeatEntry>;

/** What a server presents about its storage when it asks to be counted. */
export interface StorageIdentity {
  readonly storageId: string;
  readonly currentEpoch: number;
}

export const EMPTY_SEAT_RECORD: SeatRecord = new Map();

export const MAX_STORAGE_ID_LENGTH = 64;
export const StorageIdSchema = v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_STORAGE_ID_LENGTH));
const SeatEntrySchema = v.strictObject({
  sid: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1000)),
  storageId: StorageIdSchema,
  epoch: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(0xffff_ffff)),
});
/** The `op` of a `seats` txn, and the `seats` of a snapshot: the whole record, by seat. */
export const SeatListSchema = v.pipe(v.array(SeatEntrySchema), v.maxLength(1000));

/** The record as JSON (txn op, snapshot field), sorted by seat. */
export function seatList(record: SeatRecord): SeatEntry[] {
  return [...record.values()].sort((a, b) => a.sid - b.sid);
}

/** Parses a record from a `seats` txn or a snapshot; null if it is not one (a peer's junk). */
export function parseSeatList(value: Json | undefined): SeatRecord | null {
  if (value === undefined) return EMPTY_SEAT_RECORD;
  const parsed = v.safeParse(SeatListSchema, value);
  if (!parsed.success) return null;
  const record = new Map<ServerId, SeatEntry>();
  for (const entry of parsed.output) record.set(entry.sid, entry);
  return record;
}

/** The record after a `seats` txn, or the one before it if the txn's op is not a record. */
export function applySeatsTxn(record: SeatRecord, op: Json): SeatRecord {
  return parseSeatList(op) ?? record;
}

/** `record` with these entries replaced (the others kept). */
export function withEntries(record: SeatRecord, entries: readonly SeatEntry[]): SeatRecord {
  const next = new Map(record);
  for (const entry of entries) next.set(entry.sid, entry);
  return next;
}

/** Whether the record names this storage for this seat, and the storage was not rolled back past it. */
export function admits(record: SeatRecord, sid: ServerId, identity: StorageIdentity | undefined): boolean {
  if (identity === undefined) return false;
  const entry = record.get(sid);
  return entry !== undefined && entry.storageId === identity.storageId && identity.currentEpoch >= entry.epoch;
}

/** The record after the last `seats` txn of `proposals` (in zxid order), or `base` if there is none. */
export function latestRecordIn(proposals: readonly Proposal[], base: SeatRecord): SeatRecord {
  for (let index = proposals.length - 1; index >= 0; index--) {
    const txn = proposals[index]!.txn;
    if (txn.type === 'seats') {
      const record = parseSeatList(txn.op);
      if (record !== null) return record;
    }
  }
  return base;
}

/** The newest record a durable state holds (its log's last `seats` txn, else its snapshot's). For checkers and tools. */
export function recordInPersistedState(state: PersistedState): SeatRecord {
  return latestRecordIn(state.log, parseSeatList(state.snapshot?.seats) ?? EMPTY_SEAT_RECORD);
}

export function describeRecord(record: SeatRecord): string {
  if (record.size === 0) return '(none)';
  return seatList(record)
    .map((entry) => `${entry.sid}=${entry.storageId.slice(0, 8)}@${entry.epoch}`)
    .join(' ');
}
