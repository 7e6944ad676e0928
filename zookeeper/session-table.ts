import { createHmac, randomBytes } from 'node:crypto';

/**
 * The listener's ZooKeeper sessions: id, password, negotiated timeout and which cluster the
 * session lives in (known once a request named it, or at once with a fixed cluster). The tabs
 * hold the sessions themselves; this table only remembers where to resume one after a reconnect.
 *
 * Passwords are derived, as ZooKeeper derives them from its secret, so a session's password can
 * be checked without remembering it: HMAC-SHA256(secret, session id), 16 bytes.
 */
export interface SessionRecord {
  readonly id: bigint;
  readonly timeoutMs: number;
  /** The first path segment naming its cluster (and perhaps a seat), once known; '' with a fixed cluster. */
  root: string | null;
  /** Created at a tab already (or named by a reconnecting client): attach resumes it rather than creating it. */
  attached: boolean;
  key: string | null;
  /** The newest zxid this listener told the client of (a lower bound for where it resumes). */
  lastZxid: bigint;
  expired: boolean;
  lastUsedMs: number;
}

export const PASSWORD_BYTES = 16;
const MAX_SESSIONS = 100_000;

export class SessionTable {
  private readonly records = new Map<bigint, SessionRecord>();

  constructor(
    private readonly secret: Uint8Array,
    private readonly now: () => number = Date.now,
  ) {}

  static withRandomSecret(): SessionTable {
    return new SessionTable(randomBytes(32));
  }

  /** A new session with a random positive 63-bit id. */
  create(timeoutMs: number, root: string | null): SessionRecord {
    this.prune();
    let id: bigint;
    do id = randomBytes(8).readBigInt64BE(0) & 0x7fff_ffff_ffff_ffffn;
    while (id === 0n || this.records.has(id));
    const record: SessionRecord = { id, timeoutMs, root, attached: false, key: null, lastZxid: 0n, expired: false, lastUsedMs: this.now() };
    this.records.set(id, record);
    return record;
  }

  password(id: bigint): Buffer {
    const bytes = Buffer.alloc(8);
    bytes.writeBigInt64BE(BigInt.asIntN(64, id));
    return createHmac('sha256', this.secret).update(bytes).digest().subarray(0, PASSWORD_BYTES);
  }

  checkPassword(id: bigint, password: Uint8Array | null): boolean {
    if (password === null || password.byteLength !== PASSWORD_BYTES) return false;
    return this.password(id).equals(password);
  }

  /** The record of a session whose password checked; one is made for a session this listener has forgotten. */
  resume(id: bigint, timeoutMs: number): SessionRecord {
    const known = this.records.get(id);
    if (known !== undefined) {
      known.lastUsedMs = this.now();
      return known;
    }
    this.prune();
    const record: SessionRecord = { id, timeoutMs, root: null, attached: true, key: null, lastZxid: 0n, expired: false, lastUsedMs: this.now() };
    this.records.set(id, record);
    return record;
  }

  forget(id: bigint): void {
    this.records.delete(id);
  }

  get size(): number {
    return this.records.size;
  }

  /** Drops records unused for well past their timeout (their sessions have expired at the leader by then). */
  private prune(): void {
    const now = this.now();
    for (const [id, record] of this.records) if (now - record.lastUsedMs > record.timeoutMs * 3 + 60_000) this.records.delete(id);
    while (this.records.size >= MAX_SESSIONS) this.records.delete(this.records.keys().next().value!);
  }
}
