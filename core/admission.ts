import { MARK } from './marks.ts';
import type { Message, MessageOf } from './messages.ts';
import { isVoter, quorumSize } from './quorum.ts';
import type { AdmissionView } from './ready.ts';
import {
  admits,
  applySeatsTxn,
  EMPTY_SEAT_RECORD,
  latestRecordIn,
  parseSeatList,
  seatList,
  type SeatRecord,
  type StorageIdentity,
} from './seats.ts';
import type { ZabServer } from './server.ts';
import type { Json, ServerId } from './types.ts';
import { formatZxid, zxidEquals, type Zxid } from './zxid.ts';

interface HeardIdentity {
  readonly identity: StorageIdentity;
  readonly tick: number;
}

/**
 * One server's side of recovery before voting (core/seats.ts): its own storage, the seat record
 * it holds (committed, and the newest one in its log), the storages its peers presented, and
 * whether each may be counted. The roles ask it; they never read the record themselves.
 */
export class Admission {
  /** This server's storage, from the driver at each reload. */
  storageId = '';
  /** The record as of committedZxid: what snapshots carry. */
  committed: SeatRecord = EMPTY_SEAT_RECORD;
  /** UNSAFE recovery in progress (ForceNewCluster): every storage counts until a new record commits. */
  forcing = false;
  private forceAfterEpoch = 0;
  private readonly heard = new Map<ServerId, HeardIdentity>();
  /** The last SEATS a peer with a record sent us: the seats it knows lost their storage. */
  private hint: { readonly from: ServerId; readonly lost: readonly ServerId[]; readonly tick: number } | null = null;
  private cache: { readonly last: Zxid; readonly version: number; readonly record: SeatRecord } | null = null;
  private committedVersion = 0;

  constructor(private readonly server: ZabServer) {}

  /** At each reload from storage: the snapshot's record is the committed one (the log is replayed only on commit). */
  recover(storageId: string, snapshotSeats: Json | undefined): void {
    this.storageId = storageId;
    this.setCommitted(parseSeatList(snapshotSeats) ?? EMPTY_SEAT_RECORD);
  }

  /** SNAP from a leader (already validated). */
  installSnapshot(record: SeatRecord): void {
    this.setCommitted(record);
  }

  /** A committed `seats` txn. */
  applyCommitted(op: Json, zxid: Zxid): void {
    this.setCommitted(applySeatsTxn(this.committed, op));
    if (this.forcing && zxid.epoch > this.forceAfterEpoch) {
      this.forcing = false;
      this.server.trace(() => `a new seat record committed at ${formatZxid(zxid)}: forced recovery ends`);
    }
  }

  snapshotSeats(): Json {
    return seatList(this.committed).map((entry) => ({ ...entry }));
  }

  force(): void {
    this.forcing = true;
    this.forceAfterEpoch = this.server.acceptedEpoch;
    this.server.mark(MARK.forceNewCluster);
    this.server.trace(() => 'UNSAFE: forces a new cluster: counts every storage present until a new seat record commits');
  }

  private setCommitted(record: SeatRecord): void {
    this.committed = record;
    this.committedVersion++;
    // What a peer said about the old record is stale now.
    this.hint = null;
  }

  /**
   * The newest record this server holds: the last `seats` txn of its log, committed or not, else
   * the committed one. A `seats` txn is only ever proposed for storages that were synced, so an
   * uncommitted one never admits a storage that misses committed writes.
   */
  record(): SeatRecord {
    const log = this.server.log;
    const last = log.lastZxid;
    const cache = this.cache;
    if (cache !== null && cache.version === this.committedVersion && log.hasPoint(cache.last)) {
      // The log only grew (or was compacted behind the snapshot) since: only new entries can hold a newer record.
      if (zxidEquals(cache.last, last)) return cache.record;
      const record = latestRecordIn(log.entriesAfter(cache.last), cache.record);
      this.cache = { last, version: this.committedVersion, record };
      return record;
    }
    const record = latestRecordIn(log.entriesAfter(log.baseZxid), this.committed);
    this.cache = { last, version: this.committedVersion, record };
    return record;
  }

  /** Whether this server's own storage may vote: recorded for its seat, or nothing is recorded yet (a new cluster). */
  selfMayVote(): boolean {
    if (this.forcing || this.server.observer) return true;
    const record = this.record();
    return record.size === 0 || this.selfRecorded(record);
  }

  private selfRecorded(record: SeatRecord): boolean {
    return record.get(this.server.sid)?.storageId === this.storageId;
  }

  /** Whether a peer presenting `identity` counts toward a quorum here (`committedOnly`: only by the committed record). */
  countsPeer(sid: ServerId, identity: StorageIdentity | undefined, committedOnly = false): boolean {
    if (!isVoter(sid, this.server.config.voterCount)) return false;
    if (this.forcing) return true;
    const record = committedOnly ? this.committed : this.record();
    // Nothing recorded: a new cluster (founded by all N blank voters, see LeadingRole), or a log
    // written before seat records existed, which is trusted as before until its first record.
    if (record.size === 0) return true;
    return admits(record, sid, identity);
  }

  /** The identity a peer last presented (election ranks, FOLLOWERINFO). */
  identityOf(sid: ServerId): StorageIdentity | undefined {
    return this.heard.get(sid)?.identity;
  }

  /** Notes what a peer's message says about its storage; answers `election` from an unadmitted voter with SEATS. */
  notePeer(message: Message): void {
    let identity: StorageIdentity | null = null;
    if ('rank' in message) identity = { storageId: message.rank.storageId, currentEpoch: message.rank.currentEpoch };
    else if (message.kind === 'FOLLOWERINFO') identity = { storageId: message.storageId, currentEpoch: message.currentEpoch };
    if (identity === null) return;
    this.heard.set(message.from, { identity, tick: this.server.ticks });
    if (message.kind !== 'election' || message.observer || this.server.observer) return;
    const record = this.record();
    if (record.size === 0 || this.forcing || admits(record, message.from, identity)) return;
    this.server.send(message.from, { kind: 'SEATS', from: this.server.sid, lost: this.lostSeats() });
  }

  onSeats(message: MessageOf<'SEATS'>): void {
    this.hint = { from: message.from, lost: message.lost.filter((sid) => isVoter(sid, this.server.config.voterCount)), tick: this.server.ticks };
  }

  forget(peer: ServerId): void {
    this.heard.delete(peer);
  }

  private fresh(tick: number): boolean {
    return this.server.ticks - tick <= 3 * this.server.config.syncLimitTicks;
  }

  /**
   * Voting seats whose storage this server knows is not the one its record names (itself
   * included). By storageId only: an identity heard before the record was refreshed carries an
   * older currentEpoch, which the protocol re-checks at every election, but which must not make
   * the page cry wolf.
   */
  lostSeats(): ServerId[] {
    const record = this.record();
    const lost = new Set<ServerId>();
    if (record.size > 0 && !this.forcing) {
      if (!this.server.observer && !this.selfRecorded(record)) lost.add(this.server.sid);
      for (const [sid, heard] of this.heard) {
        if (isVoter(sid, this.server.config.voterCount) && this.fresh(heard.tick) && record.get(sid)?.storageId !== heard.identity.storageId) lost.add(sid);
      }
    }
    // A serving server is part of a quorum that works: a peer's older word does not apply.
    if (this.hint && this.fresh(this.hint.tick) && !this.server.serving) for (const sid of this.hint.lost) lost.add(sid);
    return [...lost].sort((a, b) => a - b);
  }

  view(): AdmissionView {
    const voters = this.server.config.voterCount;
    const storageId = this.storageId;
    if (this.server.observer) return { state: 'member', lost: [], storageId, reason: '' };
    if (this.forcing) {
      return { state: 'recovering', lost: [], storageId, reason: 'UNSAFE recovery: forming a new cluster from the storages present (waiting for a new seat record to commit)' };
    }
    const lost = this.lostSeats();
    const record = this.record();
    const recorded = this.selfRecorded(record);
    if (lost.length >= voters - quorumSize(voters) + 1) {
      return {
        state: 'refusing',
        lost,
        storageId,
        reason:
          `seats ${lost.join(', ')} of ${voters} hold storage the ensemble does not know (wiped or replaced): ` +
          'a quorum lost its storage, so the cluster refuses to serve rather than forget committed writes. ' +
          'Restore those seats’ storage, or force a new cluster (UNSAFE: writes only the lost storages held are gone).',
      };
    }
    if (record.size === 0 && !lost.includes(this.server.sid)) {
      return { state: 'new', lost, storageId, reason: `blank storage and no seat record yet: a new cluster forms once all ${voters} seats are here` };
    }
    if (!recorded || lost.includes(this.server.sid)) {
      return {
        state: 'recovering',
        lost,
        storageId,
        reason: `this seat’s storage ${storageId.slice(0, 8)} is unknown to the ensemble (new, wiped or replaced): it votes only after it is synced and re-admitted by a committed txn`,
      };
    }
    return { state: 'member', lost, storageId, reason: '' };
  }
}
