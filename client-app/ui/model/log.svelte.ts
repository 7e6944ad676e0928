import type { ServerReader } from '../../../core/ready.ts';
import type { Json, Txn } from '../../../core/types.ts';
import { formatZxid } from '../../../core/zxid.ts';

/** One log entry as the log view shows it. */
export interface LogRow {
  readonly zxid: string;
  readonly epoch: number;
  readonly txn: string;
  readonly committed: boolean;
  /** How it reached this server: 'DIFF', 'proposal', 'leader' (proposed here), or null (from storage, or unknown). */
  readonly origin: string | null;
}

/** What the log view draws; the live tab and a replayed server both produce it. */
export interface LogPicture {
  readonly rows: readonly LogRow[];
  readonly total: number;
  readonly baseZxid: string;
  readonly snapshotZxid: string;
  readonly committedZxid: string;
  readonly lastZxid: string;
  /** Recent sync events, newest last: "TRUNC to 1:4", "SNAP at 2:7". */
  readonly syncNotes: readonly string[];
}

export const EMPTY_LOG: LogPicture = { rows: [], total: 0, baseZxid: '0:0', snapshotZxid: '0:0', committedZxid: '0:0', lastZxid: '0:0', syncNotes: [] };

/**
 * Rows shown: the newest entries (the log can hold thousands). A table re-lays out whole when a
 * row is added at its top, several times a second under load: the view keeps it small.
 */
export const LOG_ROWS = 50;
const NOTES_KEPT = 8;
const ORIGINS_KEPT = 4000;

/** One line for a txn: `create /a "hello"`, `setData /a "v2"`, `sync`, `seat record: 1 ← 3f2a1c e2, …`. */
export function describeTxn(txn: Pick<Txn, 'type' | 'op'>): string {
  if (txn.type === 'sync') return 'sync';
  if (txn.type === 'seats') return describeSeats(txn.op);
  return describeOp(txn.op);
}

/**
 * A `seats` txn (core/seats.ts): the ensemble's record of which storage holds each seat, and
 * the epoch it was recorded in. Storage ids are shown by their first characters, as git shows
 * commits: enough to tell a new storage from the old one.
 */
function describeSeats(op: Json): string {
  if (!Array.isArray(op)) return `seat record (unreadable: ${JSON.stringify(op).slice(0, 40)})`;
  const entries = op.map((entry) => {
    const { sid, storageId, epoch } = (entry ?? {}) as { sid?: Json; storageId?: Json; epoch?: Json };
    return `${String(sid)} ← ${typeof storageId === 'string' ? storageId.slice(0, 6) : '?'} e${String(epoch)}`;
  });
  return `seat record: ${entries.join(', ') || 'empty'}`;
}

function quoted(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

export function describeOp(op: Json): string {
  if (typeof op !== 'object' || op === null || Array.isArray(op)) return JSON.stringify(op).slice(0, 80);
  const record = op as Record<string, Json>;
  // An exactly-once write (core/tree/exactly-once.ts) is shown as the write it carries, numbered.
  if (record.type === 'once' && typeof record.txn === 'object' && record.txn !== null) {
    return `${describeOp(record.txn)} (#${String(record.requestNumber)})`;
  }
  // A request the leader refused when it prepared it: still a txn (its result is the error).
  if (record.type === 'error') return `error ${String(record.error)}${typeof record.path === 'string' ? ` ${record.path}` : ''}`;
  if (record.type === 'multiError') return `multi failed at op ${String(record.failedIndex)}: ${String(record.error)}`;
  if (record.type === 'multi' && Array.isArray(record.txns)) {
    const inner = record.txns.slice(0, 3).map((txn) => describeOp(txn));
    return `multi (${record.txns.length}): ${inner.join('; ')}${record.txns.length > 3 ? '; …' : ''}`;
  }
  const parts = [String(record.type ?? '?')];
  if (typeof record.path === 'string') parts.push(record.path);
  if (typeof record.key === 'string') parts.push(record.key);
  if (typeof record.data === 'string') parts.push(quoted(record.data));
  if (typeof record.value === 'string') parts.push(quoted(record.value));
  if (typeof record.ephemeralOwner === 'string') parts.push('ephemeral');
  if (typeof record.sessionId === 'string') parts.push(record.sessionId);
  if (Array.isArray(record.ops)) parts.push(`(${record.ops.length} ops)`);
  return parts.join(' ');
}

/**
 * The live tab's log picture: rebuilt from the server's in-memory log only when its shape moved
 * (last, committed, base or snapshot zxid), and told by the message tap how entries arrived.
 */
export class LogStore {
  picture = $state.raw<LogPicture>(EMPTY_LOG);
  private readonly origins = new Map<string, string>();
  private notes: string[] = [];
  private key = '';

  /** Entries of `zxids` arrived by `origin` (DIFF, proposal…). */
  markOrigin(zxids: readonly string[], origin: string): void {
    for (const zxid of zxids) this.origins.set(zxid, origin);
    if (this.origins.size > ORIGINS_KEPT) {
      const drop = this.origins.size - ORIGINS_KEPT;
      let index = 0;
      for (const key of this.origins.keys()) {
        if (index++ >= drop) break;
        this.origins.delete(key);
      }
    }
  }

  note(text: string): void {
    this.notes = [...this.notes.slice(-(NOTES_KEPT - 1)), text];
    this.key = ''; // force a rebuild
  }

  /** Whether `refresh` would draw something new. */
  pending(server: ServerReader | null): boolean {
    return server !== null && keyOf(server) !== this.key;
  }

  refresh(server: ServerReader | null): void {
    if (server === null) return;
    const log = server.log;
    const key = keyOf(server);
    if (key === this.key) return;
    this.key = key;
    const committed = server.committedZxid;
    const rows: LogRow[] = [];
    for (let index = Math.max(0, log.length - LOG_ROWS); index < log.length; index++) {
      const proposal = log.entryAt(index);
      const zxid = formatZxid(proposal.zxid);
      const isCommitted = proposal.zxid.epoch < committed.epoch || (proposal.zxid.epoch === committed.epoch && proposal.zxid.counter <= committed.counter);
      rows.push({ zxid, epoch: proposal.zxid.epoch, txn: describeTxn(proposal.txn), committed: isCommitted, origin: this.origins.get(zxid) ?? (server.state === 'LEADING' ? 'leader' : null) });
    }
    this.picture = {
      rows,
      total: log.length,
      baseZxid: formatZxid(log.baseZxid),
      snapshotZxid: formatZxid(server.snapshotZxid),
      committedZxid: formatZxid(committed),
      lastZxid: formatZxid(log.lastZxid),
      syncNotes: this.notes,
    };
  }
}

/** What the log picture is drawn from: it is redrawn only when this moves. */
function keyOf(server: ServerReader): string {
  const log = server.log;
  return `${formatZxid(log.lastZxid)}|${formatZxid(server.committedZxid)}|${formatZxid(log.baseZxid)}|${formatZxid(server.snapshotZxid)}|${log.length}`;
}
