import { assert } from './assert.ts';
import type { PersistedState } from './storage.ts';
import type { Proposal, Snapshot } from './types.ts';
import { compareZxid, formatZxid, isSuccessor, ZERO_ZXID, zxidEquals, type Zxid } from './zxid.ts';

/**
 * The in-memory copy of a server's transaction log: the history (baseZxid, lastZxid], kept in
 * zxid order. It mirrors what the driver writes to Storage; the protocol reads it to serve DIFF
 * and TRUNC and to know its own last zxid.
 *
 * Invariant: every entry is `isSuccessor` of the one before it (the first of `baseZxid`).
 */
export class ZabLog {
  private constructor(
    private base: Zxid,
    private entries: Proposal[],
  ) {}

  static empty(): ZabLog {
    return new ZabLog(ZERO_ZXID, []);
  }

  static fromPersisted(state: PersistedState): ZabLog {
    const log = new ZabLog(state.logBaseZxid, []);
    log.append(state.log);
    return log;
  }

  get baseZxid(): Zxid {
    return this.base;
  }

  get lastZxid(): Zxid {
    const last = this.entries[this.entries.length - 1];
    return last ? last.zxid : this.base;
  }

  get length(): number {
    return this.entries.length;
  }

  /** Whether `zxid` is a point of this log's history: the base or one of its entries. */
  hasPoint(zxid: Zxid): boolean {
    return zxidEquals(zxid, this.base) || this.indexOf(zxid) >= 0;
  }

  /** Index of the entry with this zxid, or -1. */
  indexOf(zxid: Zxid): number {
    let low = 0;
    let high = this.entries.length - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const order = compareZxid(this.entries[middle]!.zxid, zxid);
      if (order === 0) return middle;
      if (order < 0) low = middle + 1;
      else high = middle - 1;
    }
    return -1;
  }

  /** Number of entries with zxid <= `zxid`. */
  countThrough(zxid: Zxid): number {
    let low = 0;
    let high = this.entries.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (compareZxid(this.entries[middle]!.zxid, zxid) <= 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** The latest point of the history strictly before `zxid` (the base if none). */
  pointBefore(zxid: Zxid): Zxid {
    const count = this.countThrough(zxid);
    const index = this.entries[count - 1] && zxidEquals(this.entries[count - 1]!.zxid, zxid) ? count - 2 : count - 1;
    return index >= 0 ? this.entries[index]!.zxid : this.base;
  }

  entryAt(index: number): Proposal {
    const entry = this.entries[index];
    assert(entry, () => `log index ${index} out of range [0, ${this.entries.length})`);
    return entry;
  }

  /** Entries after `zxid` (a point of this history), in order. */
  entriesAfter(zxid: Zxid): Proposal[] {
    assert(this.hasPoint(zxid), () => `entriesAfter(${formatZxid(zxid)}): not a point of log (${formatZxid(this.base)}, ${formatZxid(this.lastZxid)}]`);
    return this.entries.slice(this.countThrough(zxid));
  }

  /** Entries in (after, through], in order. */
  entriesBetween(after: Zxid, through: Zxid): Proposal[] {
    return this.entries.slice(this.countThrough(after), this.countThrough(through));
  }

  append(proposals: readonly Proposal[]): void {
    for (const proposal of proposals) {
      assert(isSuccessor(this.lastZxid, proposal.zxid), () => `append ${formatZxid(proposal.zxid)} does not follow ${formatZxid(this.lastZxid)}`);
      this.entries.push(proposal);
    }
  }

  truncateAfter(zxid: Zxid): void {
    assert(this.hasPoint(zxid), () => `truncateAfter(${formatZxid(zxid)}): not a point of log (${formatZxid(this.base)}, ${formatZxid(this.lastZxid)}]`);
    this.entries.length = this.countThrough(zxid);
  }

  compactThrough(zxid: Zxid): void {
    assert(this.hasPoint(zxid), () => `compactThrough(${formatZxid(zxid)}): not a point of the log`);
    this.entries = this.entries.slice(this.countThrough(zxid));
    this.base = zxid;
  }

  /** SNAP: the snapshot replaces the whole history. */
  installSnapshot(snapshot: Snapshot): void {
    this.entries = [];
    this.base = snapshot.zxid;
  }
}
