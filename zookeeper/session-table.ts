import { randomBytes } from 'node:crypto';
import { zkSessionIdFor } from '../protocol/session-secret.ts';

/**
 * The listener's ZooKeeper sessions: id, password, negotiated timeout and which cluster the
 * session lives in (known once a request named it, or at once with a fixed cluster). The tabs
 * hold the sessions themselves; this table only remembers where to resume one after a reconnect.
 *
 * Session ids are derived from passwords (the other way round from ZooKeeper, which derives the
 * password from the id and a server secret): a random 16-byte password, and the id is 63 bits of
 * its digest (protocol/session-secret.ts). So a password can be checked without remembering it,
 * on any listener, and the password is also the session's gateway secret: the signaling server
 * attaches the session's clientId (`zk-<id>`, visible as ephemeralOwner) only to whoever
 * presents it, so a session id seen in `stat` gets nobody into the session.
 */
export interface SessionRecord {
  readonly id: bigint;
  /** The session's password (also its gateway secret, as base64url). */
  readonly password: Buffer;
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

  constructor(private readonly now: () => number = Date.now) {}

  /** Kept for callers that made a table with a secret; ids and passwords need none now. */
  static withRandomSecret(): SessionTable {
    return new SessionTable();
  }

  /** A new session with a random positive 63-bit id. */
  create(timeoutMs: number, root: string | null): SessionRecord {
    this.prune();
    let id: bigint;
    let password: Buffer;
    do {
      password = randomBytes(PASSWORD_BYTES);
      id = zkSessionIdFor(gatewaySecret(password));
    } while (id === 0n || this.records.has(id));
    const record: SessionRecord = { id, password, timeoutMs, root, attached: false, key: null, lastZxid: 0n, expired: false, lastUsedMs: this.now() };
    this.records.set(id, record);
    return record;
  }

  checkPassword(id: bigint, password: Uint8Array | null): boolean {
    if (password === null || password.byteLength !== PASSWORD_BYTES) return false;
    return zkSessionIdFor(gatewaySecret(password)) === id;
  }

  /** The record of a session whose password checked; one is made for a session this listener has forgotten. */
  resume(id: bigint, timeoutMs: number, password: Uint8Array): SessionRecord {
    const known = this.records.get(id);
    if (known !== undefined) {
      known.lastUsedMs = this.now();
      return known;
    }
    this.prune();
    const record: SessionRecord = { id, password: Buffer.from(password), timeoutMs, root: null, attached: true, key: null, lastZxid: 0n, expired: false, lastUsedMs: this.now() };
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

/** The gateway secret of a session: its password as base64url (protocol/session-secret.ts). */
export function gatewaySecret(password: Uint8Array): string {
  return Buffer.from(password).toString('base64url');
}
