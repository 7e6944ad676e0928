/**
 * Chunking, reassembly and backpressure for one DataChannel link, with no WebRTC in it so that
 * it runs (and is tested) in Node against a fake channel.
 *
 * A message is the UTF-8 text of `encodeMessage`. It is cut into frames of at most
 * `MAX_FRAME_BYTES` (16 KiB, the size every browser's SCTP stack passes without fragmentation
 * trouble), each frame a 13-byte header and a slice of the text:
 *
 *   byte 0      format version (1)
 *   bytes 1-4   message id   (uint32, big-endian; per link, wraps)
 *   bytes 5-8   chunk index  (uint32, 0-based)
 *   bytes 9-12  chunk count  (uint32, >= 1)
 *
 * A DataChannel is reliable and ordered, and the sender queues every frame of a message before
 * any frame of the next, so the frames of one message arrive contiguous and in order. The
 * reassembler therefore keeps one message in progress per link and drops anything else as
 * malformed: a frame out of order, an unknown version, a reassembly above the size limit, text
 * that is not UTF-8. What it drops it counts; it never throws.
 */

export const FRAME_VERSION = 1;
export const FRAME_HEADER_BYTES = 13;
export const MAX_FRAME_BYTES = 16 * 1024;
export const MAX_CHUNK_BYTES = MAX_FRAME_BYTES - FRAME_HEADER_BYTES;

const encoder = new TextEncoder();

/** The frames of one message, or null when its text is above `maxMessageBytes` (never sent). */
export function encodeFrames(text: string, messageId: number, maxMessageBytes: number): Uint8Array[] | null {
  const bytes = encoder.encode(text);
  if (bytes.length > maxMessageBytes) return null;
  const count = Math.max(1, Math.ceil(bytes.length / MAX_CHUNK_BYTES));
  const frames: Uint8Array[] = [];
  for (let index = 0; index < count; index++) {
    const chunk = bytes.subarray(index * MAX_CHUNK_BYTES, (index + 1) * MAX_CHUNK_BYTES);
    const frame = new Uint8Array(FRAME_HEADER_BYTES + chunk.length);
    const view = new DataView(frame.buffer);
    view.setUint8(0, FRAME_VERSION);
    view.setUint32(1, messageId >>> 0);
    view.setUint32(5, index);
    view.setUint32(9, count);
    frame.set(chunk, FRAME_HEADER_BYTES);
    frames.push(frame);
  }
  return frames;
}

export interface FrameHeader {
  readonly messageId: number;
  readonly index: number;
  readonly count: number;
}

/** The header of a frame, or why it is not one. */
export function decodeFrameHeader(frame: Uint8Array): FrameHeader | string {
  if (frame.length < FRAME_HEADER_BYTES) return `frame of ${frame.length} bytes is shorter than its header`;
  if (frame.length > MAX_FRAME_BYTES) return `frame of ${frame.length} bytes is above ${MAX_FRAME_BYTES}`;
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const version = view.getUint8(0);
  if (version !== FRAME_VERSION) return `unknown frame version ${version}`;
  const header = { messageId: view.getUint32(1), index: view.getUint32(5), count: view.getUint32(9) };
  if (header.count === 0) return 'frame count is 0';
  if (header.index >= header.count) return `frame index ${header.index} is not below its count ${header.count}`;
  return header;
}

export type ReassemblyResult =
  | { readonly kind: 'message'; readonly text: string }
  | { readonly kind: 'partial' }
  | { readonly kind: 'dropped'; readonly reason: string };

export interface ReassemblyStats {
  messages: number;
  framesDropped: number;
  messagesDropped: number;
  lastDropReason: string | null;
}

interface InProgress {
  readonly messageId: number;
  readonly count: number;
  next: number;
  bytes: number;
  readonly chunks: Uint8Array[];
}

/** Rebuilds messages from the frames of one link, in arrival order. */
export class Reassembler {
  readonly stats: ReassemblyStats = { messages: 0, framesDropped: 0, messagesDropped: 0, lastDropReason: null };
  /** Invariant: null, or a message with 1 <= next < count and bytes <= maxMessageBytes. */
  private current: InProgress | null = null;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  /** More chunks than this cannot fit below the size limit, whatever their sizes. */
  private readonly maxCount: number;

  constructor(private readonly maxMessageBytes: number) {
    this.maxCount = Math.max(1, Math.ceil(maxMessageBytes / MAX_CHUNK_BYTES));
  }

  push(frame: Uint8Array): ReassemblyResult {
    const header = decodeFrameHeader(frame);
    if (typeof header === 'string') return this.drop(header, 1);
    const current = this.current;
    if (current !== null && (header.messageId !== current.messageId || header.index !== current.next || header.count !== current.count)) {
      // The message in progress will never complete: drop it, then judge this frame on its own.
      this.current = null;
      this.stats.messagesDropped++;
      this.stats.lastDropReason = `message ${current.messageId} cut off at chunk ${current.next} of ${current.count}`;
    }
    if (this.current === null && header.index !== 0) return this.drop(`frame ${header.index} of message ${header.messageId} without its start`, 1);
    if (header.count > this.maxCount) return this.drop(`message of ${header.count} chunks is above ${this.maxMessageBytes} bytes`, 1);
    const chunk = frame.subarray(FRAME_HEADER_BYTES);
    const progress = this.current ?? { messageId: header.messageId, count: header.count, next: 0, bytes: 0, chunks: [] };
    progress.bytes += chunk.length;
    if (progress.bytes > this.maxMessageBytes) {
      this.current = null;
      return this.drop(`message ${header.messageId} grew above ${this.maxMessageBytes} bytes`, 1);
    }
    progress.chunks.push(chunk.slice());
    progress.next++;
    if (progress.next < progress.count) {
      this.current = progress;
      return { kind: 'partial' };
    }
    this.current = null;
    return this.complete(progress);
  }

  private complete(progress: InProgress): ReassemblyResult {
    const bytes = new Uint8Array(progress.bytes);
    let offset = 0;
    for (const chunk of progress.chunks) {
      bytes.set(chunk, offset);
      offset += chunk.length;
    }
    let text: string;
    try {
      text = this.decoder.decode(bytes);
    } catch {
      return this.drop(`message ${progress.messageId} is not UTF-8`, 0);
    }
    this.stats.messages++;
    return { kind: 'message', text };
  }

  private drop(reason: string, frames: number): ReassemblyResult {
    this.stats.framesDropped += frames;
    this.stats.messagesDropped++;
    this.stats.lastDropReason = reason;
    return { kind: 'dropped', reason };
  }
}

/**
 * What the sender needs of a link, all of it simple-peer's public API: the DataChannel's
 * buffer (`bufferSize`), a direct send (`send`), and the peer's writable stream (`write`,
 * `writableLength`), which feeds the channel only as its buffer drains (stream backpressure).
 */
export interface FrameChannel {
  /** Bytes the DataChannel buffers and has not sent yet. */
  readonly bufferedAmount: number;
  /** Bytes waiting in the writable stream (not yet handed to the channel). */
  readonly streamedBytes: number;
  /** Onto the channel at once. */
  send(frame: Uint8Array): void;
  /** Into the stream, behind what waits there. */
  write(frame: Uint8Array): void;
}

export interface FrameSenderOptions {
  /** Frames go straight to the channel while it buffers less than this (and the stream is empty). */
  readonly highWaterBytes: number;
  /**
   * Most bytes the stream may hold. A link that cannot drain this is too slow to keep: the
   * caller closes it (the peer resyncs over a new one) rather than queueing without bound.
   */
  readonly maxQueuedBytes: number;
}

/**
 * Sends frames straight to the channel while it buffers less than the high-water mark, with no
 * queue, timer or deferral of its own on that path. Above the mark, frames go into the peer's
 * writable stream, which hands them on as the channel drains; and while the stream holds
 * anything, later frames go behind it, so frames leave in the order they were given.
 */
export class FrameSender {
  framesSent = 0;

  constructor(
    private readonly channel: FrameChannel,
    private readonly options: FrameSenderOptions,
  ) {}

  /** Bytes waiting for the channel to drain. */
  get queuedBytes(): number {
    return this.channel.streamedBytes;
  }

  /** Sends (or streams) all of a message's frames; false if that would take the stream over its bound (nothing sent). */
  enqueue(frames: readonly Uint8Array[]): boolean {
    let bytes = 0;
    for (const frame of frames) bytes += frame.length;
    if (this.channel.streamedBytes + bytes > this.options.maxQueuedBytes) return false;
    for (const frame of frames) {
      if (this.channel.streamedBytes === 0 && this.channel.bufferedAmount < this.options.highWaterBytes) this.channel.send(frame);
      else this.channel.write(frame);
      this.framesSent++;
    }
    return true;
  }
}
