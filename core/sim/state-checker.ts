import { parseSeatList } from '../seats.ts';
import type { ServerEvent } from '../server.ts';
import type { Proposal, ServerId, Txn } from '../types.ts';
import { formatZxid, isSuccessor, ZERO_ZXID, zxidEquals, type Zxid } from '../zxid.ts';

/** A safety property broke. The message names the servers and zxids involved. */
export class SafetyViolation extends Error {
  override name = 'SafetyViolation';
}

interface CanonicalEntry {
  readonly zxid: Zxid;
  readonly txn: Txn;
}

function sameTxn(a: Txn, b: Txn): boolean {
  return a.originator === b.originator && a.requestId === b.requestId && a.type === b.type;
}

function describeTxn(txn: Txn): string {
  return `${txn.type} ${txn.originator}/${txn.requestId} ${JSON.stringify(txn.op)}`;
}

/**
 * Checks the safety properties (docs/ARCHITECTURE.md) from outside the protocol, as TigerBeetle's
 * StateChecker does: it sees every txn every server applies, every snapshot, every restore and
 * every leader establishment, and throws SafetyViolation at the first one that breaks:
 * - at most one leader is established per epoch;
 * - every server applies one and the same sequence (the canonical one): each server's applied
 *   sequence is a prefix of it, so committed sequences are prefixes of each other, and a txn
 *   once applied anywhere keeps its zxid everywhere (nothing committed is lost or replaced);
 * - snapshots and restores sit on canonical points and have equal digests at equal zxids;
 * - no leader counts an amnesiac storage (wiped, or rolled back to an old copy) toward a quorum
 *   before a leader synced it and recorded it in a seat record (core/seats.ts).
 */
export class StateChecker {
  private readonly canonical: CanonicalEntry[] = [];
  private readonly positionOf = new Map<string, number>();
  private readonly lastApplied = new Map<ServerId, Zxid>();
  private readonly leaderOfEpoch = new Map<number, ServerId>();
  private readonly digestAt = new Map<string, string>();
  /** Storages that lost what they held, by seat: a blank one (copyEpoch null) or a rolled-back copy. */
  private readonly amnesiac = new Map<ServerId, { readonly storageId: string; readonly copyEpoch: number | null; readonly healed: () => boolean }>();

  /**
   * The simulator replaced seat `sid`'s storage with a blank one, or rolled it back to a copy of
   * `copyEpoch`. A blank storage stays amnesiac until a seat record names it. A rolled-back one
   * cannot know it was rolled back; it is also healed once `healed()` says it holds again every
   * txn committed before the rollback (a leader synced it: ZAB's own recovery).
   */
  markAmnesiac(sid: ServerId, storageId: string, copyEpoch: number | null, healed: () => boolean = () => false): void {
    this.amnesiac.set(sid, { storageId, copyEpoch, healed });
  }

  /** Seats whose storage is amnesiac and not yet re-admitted by a committed seat record. */
  amnesiacSeats(): ServerId[] {
    return [...this.amnesiac.keys()].sort((a, b) => a - b);
  }

  /** A seat record was proposed or committed: the storages it names are no longer amnesiac. */
  private onSeatsCommitted(op: Txn['op']): void {
    const record = parseSeatList(op);
    if (record === null) return;
    for (const [sid, lost] of this.amnesiac) {
      const entry = record.get(sid);
      if (entry?.storageId === lost.storageId && (lost.copyEpoch === null || entry.epoch > lost.copyEpoch)) this.amnesiac.delete(sid);
    }
  }

  get committedCount(): number {
    return this.canonical.length;
  }

  get lastCommitted(): Zxid {
    return this.canonical[this.canonical.length - 1]?.zxid ?? ZERO_ZXID;
  }

  committedTxns(): readonly CanonicalEntry[] {
    return this.canonical;
  }

  appliedBy(sid: ServerId): Zxid {
    return this.lastApplied.get(sid) ?? ZERO_ZXID;
  }

  onApplied(sid: ServerId, proposal: Proposal): void {
    const zxid = proposal.zxid;
    const previous = this.appliedBy(sid);
    const position = this.positionOf.get(formatZxid(zxid));
    if (position !== undefined) {
      const entry = this.canonical[position]!;
      if (!sameTxn(entry.txn, proposal.txn)) {
        throw new SafetyViolation(`server ${sid} applied ${formatZxid(zxid)} as ${describeTxn(proposal.txn)}, but it was committed as ${describeTxn(entry.txn)}`);
      }
      const expected = position === 0 ? ZERO_ZXID : this.canonical[position - 1]!.zxid;
      if (!zxidEquals(previous, expected)) {
        throw new SafetyViolation(`server ${sid} applied ${formatZxid(zxid)} after ${formatZxid(previous)}, but it follows ${formatZxid(expected)}`);
      }
    } else {
      const last = this.lastCommitted;
      if (!zxidEquals(previous, last)) {
        throw new SafetyViolation(`server ${sid} applied new ${formatZxid(zxid)} after ${formatZxid(previous)}, but the committed history ends at ${formatZxid(last)}`);
      }
      if (!isSuccessor(last, zxid)) {
        throw new SafetyViolation(`server ${sid} applied ${formatZxid(zxid)}, which does not follow ${formatZxid(last)}`);
      }
      this.positionOf.set(formatZxid(zxid), this.canonical.length);
      this.canonical.push({ zxid, txn: proposal.txn });
      if (proposal.txn.type === 'seats') this.onSeatsCommitted(proposal.txn.op);
    }
    this.lastApplied.set(sid, zxid);
  }

  onEvent(sid: ServerId, event: ServerEvent): void {
    switch (event.kind) {
      case 'established': {
        const leader = this.leaderOfEpoch.get(event.epoch);
        if (leader !== undefined && leader !== sid) {
          throw new SafetyViolation(`two leaders established in epoch ${event.epoch}: ${leader} and ${sid}`);
        }
        this.leaderOfEpoch.set(event.epoch, sid);
        return;
      }
      case 'restored': {
        const key = formatZxid(event.zxid);
        if (!zxidEquals(event.zxid, ZERO_ZXID) && !this.positionOf.has(key)) {
          throw new SafetyViolation(`server ${sid} restored a snapshot at ${key}, which was never committed`);
        }
        this.checkDigest(sid, 'restored a snapshot', event.zxid, event.digest);
        this.lastApplied.set(sid, event.zxid);
        return;
      }
      case 'recorded':
        // A leader records only storages it synced: from here on they hold every committed txn.
        this.onSeatsCommitted(event.seats);
        return;
      case 'counted':
        for (const { sid: seat, storageId } of event.storages) {
          const lost = this.amnesiac.get(seat);
          if (lost?.healed()) this.amnesiac.delete(seat);
          else if (lost?.storageId === storageId) {
            throw new SafetyViolation(`leader ${sid} of epoch ${event.epoch} counted seat ${seat}'s amnesiac storage ${storageId} toward a quorum at ${formatZxid(event.zxid)}`);
          }
        }
        return;
      case 'snapshot':
        // Reported while the txns before it are still on their way to onApplied (they leave in
        // the same Ready), so only the digest is checked here; the server asserts that snapshots
        // are of committed state.
        this.checkDigest(sid, 'took a snapshot', event.zxid, event.digest);
        return;
    }
  }

  /** Every server's state digest must be equal at equal zxids (checked after each apply where enabled). */
  onDigest(sid: ServerId, zxid: Zxid, digest: string): void {
    this.checkDigest(sid, 'applied', zxid, digest);
  }

  private checkDigest(sid: ServerId, what: string, zxid: Zxid, digest: string): void {
    const key = formatZxid(zxid);
    const known = this.digestAt.get(key);
    if (known !== undefined && known !== digest) {
      throw new SafetyViolation(`server ${sid} ${what} at ${key} with digest ${digest}, but the state there has digest ${known}`);
    }
    this.digestAt.set(key, digest);
  }

  leaders(): ReadonlyMap<number, ServerId> {
    return this.leaderOfEpoch;
  }
}
