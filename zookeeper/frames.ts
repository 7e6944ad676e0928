import { JuteError } from './jute.ts';

/**
 * Splits a TCP byte stream into jute frames (a 4-byte big-endian length, then that many bytes).
 * A length below zero or above `maxFrameBytes` (ZooKeeper's jute.maxbuffer) is refused before a
 * byte of it is buffered: at most one frame's bytes are ever held.
 */
export class FrameSplitter {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly maxFrameBytes: number) {}

  /** Feeds bytes; returns the frames they complete. Throws JuteError on a bad length. */
  push(data: Buffer): Buffer[] {
    this.chunks.push(data);
    this.buffered += data.byteLength;
    const frames: Buffer[] = [];
    for (;;) {
      if (this.buffered < 4) break;
      const head = this.peek(4);
      const length = head.readInt32BE(0);
      if (length < 0 || length > this.maxFrameBytes) throw new JuteError(`frame length ${length} is outside 0..${this.maxFrameBytes}`);
      if (this.buffered < 4 + length) break;
      const whole = this.take(4 + length);
      frames.push(whole.subarray(4));
    }
    return frames;
  }

  /** Bytes held for an incomplete frame. */
  get pending(): number {
    return this.buffered;
  }

  private peek(bytes: number): Buffer {
    if (this.chunks[0]!.byteLength < bytes) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0]!.subarray(0, bytes);
  }

  private take(bytes: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const taken = all.subarray(0, bytes);
    const rest = all.subarray(bytes);
    this.chunks = rest.byteLength > 0 ? [rest] : [];
    this.buffered = rest.byteLength;
    return taken;
  }
}
