import { MAX_DIFF_PROPOSALS, SNAP_CHUNK_CHARS, type MessageOf } from './messages.ts';
import { utf8ByteLength } from './tree/limits.ts';
import type { Json, Proposal, ServerId, Snapshot } from './types.ts';
import { zxidEquals, type Zxid } from './zxid.ts';

/**
 * Synchronization messages cut to what a transport carries (issue 10, item 2). A DIFF is cut by
 * bytes, not only by count: 300 setData of 60 KiB made one 18.5 MB DIFF that no DataChannel
 * framing accepts. A snapshot goes as SNAP chunks of its JSON text; the learner reassembles
 * them, and only the whole snapshot is restored and persisted (its NEWLEADER ack leaves once
 * that write is durable, like any other part of the sync).
 *
 * Both bounds sit far below MAX_MESSAGE_BYTES (16 MiB) so that one message never holds a link
 * for long: a DIFF adds proposals up to DIFF_TARGET_BYTES of JSON (a single proposal above it
 * goes alone: a request is bounded by the state machine, 1 MiB of data for the tree), and a SNAP
 * chunk holds SNAP_CHUNK_CHARS UTF-16 units of text (at most 3 bytes each in UTF-8, plus JSON
 * escapes).
 */
export const DIFF_TARGET_BYTES = 1024 * 1024;
/** Most chunks one snapshot may have (a bound on what a learner buffers: 2 GiB of text). */
export const MAX_SNAP_CHUNKS = 4096;

/** The DIFFs that carry `proposals` (which follow `prevZxid`), each within DIFF_TARGET_BYTES unless one proposal alone is larger. */
export function diffMessages(from: ServerId, epoch: number, prevZxid: Zxid, proposals: readonly Proposal[]): MessageOf<'DIFF'>[] {
  const diffs: MessageOf<'DIFF'>[] = [];
  let previous = prevZxid;
  let batch: Proposal[] = [];
  let batchBytes = 0;
  const flush = () => {
    if (batch.length === 0) return;
    diffs.push({ kind: 'DIFF', from, epoch, prevZxid: previous, proposals: batch });
    previous = batch[batch.length - 1]!.zxid;
    batch = [];
    batchBytes = 0;
  };
  for (const proposal of proposals) {
    const bytes = proposalBytes(proposal);
    if (batch.length > 0 && (batchBytes + bytes > DIFF_TARGET_BYTES || batch.length >= MAX_DIFF_PROPOSALS)) flush();
    batch.push(proposal);
    batchBytes += bytes;
  }
  flush();
  return diffs;
}

/** Bytes of a proposal's JSON in UTF-8; a JSON length of at most a third of the target needs no count. */
function proposalBytes(proposal: Proposal): number {
  const text = JSON.stringify(proposal);
  return text.length * 3 <= DIFF_TARGET_BYTES ? text.length : utf8ByteLength(text);
}

/** The SNAP chunks of `snapshot`, in order. */
export function snapMessages(from: ServerId, epoch: number, snapshot: Snapshot): MessageOf<'SNAP'>[] {
  const text = JSON.stringify(snapshot.data);
  const count = Math.max(1, Math.ceil(text.length / SNAP_CHUNK_CHARS));
  const chunks: MessageOf<'SNAP'>[] = [];
  for (let index = 0; index < count; index++) {
    const chunk = text.slice(index * SNAP_CHUNK_CHARS, (index + 1) * SNAP_CHUNK_CHARS);
    const seats = index === 0 && snapshot.seats !== undefined ? { seats: snapshot.seats } : {};
    chunks.push({ kind: 'SNAP', from, epoch, zxid: snapshot.zxid, digest: snapshot.digest, index, count, chunk, ...seats });
  }
  return chunks;
}

export type SnapProgress =
  | { readonly kind: 'partial'; readonly received: number; readonly count: number }
  | { readonly kind: 'complete'; readonly snapshot: Snapshot }
  | { readonly kind: 'refused'; readonly reason: string };

/** A learner's snapshot in transfer: chunks must come in order, all of one snapshot. */
export class SnapAssembler {
  private parts: string[] = [];
  private current: { readonly zxid: Zxid; readonly digest: string; readonly count: number; readonly seats: Json | undefined } | null = null;

  /** Whether a transfer started and has not completed. */
  get inProgress(): boolean {
    return this.current !== null;
  }

  accept(message: MessageOf<'SNAP'>): SnapProgress {
    if (message.count > MAX_SNAP_CHUNKS) return this.refuse(`SNAP of ${message.count} chunks is above ${MAX_SNAP_CHUNKS}`);
    if (message.index === 0) {
      this.parts = [];
      this.current = { zxid: message.zxid, digest: message.digest, count: message.count, seats: message.seats };
    }
    const current = this.current;
    if (current === null) return this.refuse(`SNAP chunk ${message.index} without chunk 0`);
    if (!zxidEquals(current.zxid, message.zxid) || current.digest !== message.digest || current.count !== message.count) {
      return this.refuse(`SNAP chunk ${message.index} of another snapshot`);
    }
    if (message.index !== this.parts.length) return this.refuse(`SNAP chunk ${message.index}, expected ${this.parts.length}`);
    this.parts.push(message.chunk);
    if (this.parts.length < current.count) return { kind: 'partial', received: this.parts.length, count: current.count };
    const text = this.parts.join('');
    this.parts = [];
    this.current = null;
    let data: Json;
    try {
      data = JSON.parse(text) as Json;
    } catch {
      return this.refuse('SNAP text is not JSON');
    }
    const seats = current.seats === undefined ? {} : { seats: current.seats };
    return { kind: 'complete', snapshot: { zxid: current.zxid, digest: current.digest, data, ...seats } };
  }

  private refuse(reason: string): SnapProgress {
    this.parts = [];
    this.current = null;
    return { kind: 'refused', reason };
  }
}
