import { describe, expect, it } from 'vitest';
import {
  FRAME_HEADER_BYTES,
  FrameSender,
  MAX_CHUNK_BYTES,
  MAX_FRAME_BYTES,
  Reassembler,
  encodeFrames,
  type FrameChannel,
} from './framing.ts';

const LIMIT = 1024 * 1024;

/**
 * A link as simple-peer presents it: a channel that buffers what it is sent until the test
 * drains it, as an RTCDataChannel does, and a writable stream in front of it that hands on one
 * frame at a time while the channel buffers at most STREAM_HOLD_BYTES (simple-peer's `_write`
 * holds above 64 KiB and resumes on `bufferedamountlow`).
 */
const STREAM_HOLD_BYTES = 64 * 1024;

class FakeChannel implements FrameChannel {
  bufferedAmount = 0;
  readonly wire: Uint8Array[] = [];
  private readonly stream: Uint8Array[] = [];
  streamedBytes = 0;
  writes = 0;

  send(frame: Uint8Array): void {
    this.wire.push(frame);
    this.bufferedAmount += frame.length;
  }

  write(frame: Uint8Array): void {
    this.writes++;
    this.stream.push(frame);
    this.streamedBytes += frame.length;
    this.pumpStream();
  }

  /** The network takes `bytes` off the buffer; returns the frames it carried, in order. */
  drain(bytes = Infinity): Uint8Array[] {
    const carried: Uint8Array[] = [];
    let budget = bytes;
    while (this.wire.length > 0 && budget >= this.wire[0]!.length) {
      const frame = this.wire.shift()!;
      budget -= frame.length;
      this.bufferedAmount -= frame.length;
      carried.push(frame);
    }
    this.pumpStream(); // bufferedamountlow
    return carried;
  }

  private pumpStream(): void {
    while (this.stream.length > 0 && this.bufferedAmount <= STREAM_HOLD_BYTES) {
      const frame = this.stream.shift()!;
      this.streamedBytes -= frame.length;
      this.send(frame);
    }
  }
}

function reassembleAll(reassembler: Reassembler, frames: readonly Uint8Array[]): string[] {
  const messages: string[] = [];
  for (const frame of frames) {
    const result = reassembler.push(frame);
    if (result.kind === 'message') messages.push(result.text);
  }
  return messages;
}

describe('encodeFrames / Reassembler', () => {
  it('round-trips messages of every size around the chunk boundary, including multi-byte text', () => {
    const sizes = [0, 1, MAX_CHUNK_BYTES - 1, MAX_CHUNK_BYTES, MAX_CHUNK_BYTES + 1, 3 * MAX_CHUNK_BYTES + 17, 200_000];
    const reassembler = new Reassembler(LIMIT);
    let id = 0;
    for (const size of sizes) {
      const text = 'é€𝄞x'.repeat(Math.ceil(size / 4)).slice(0, size);
      const frames = encodeFrames(text, id++, LIMIT)!;
      for (const frame of frames) expect(frame.length).toBeLessThanOrEqual(MAX_FRAME_BYTES);
      expect(reassembleAll(reassembler, frames)).toEqual([text]);
    }
    expect(reassembler.stats.messagesDropped).toBe(0);
    expect(reassembler.stats.messages).toBe(sizes.length);
  });

  it('refuses to encode a message above the limit', () => {
    expect(encodeFrames('x'.repeat(101), 0, 100)).toBeNull();
    expect(encodeFrames('x'.repeat(100), 0, 100)).toHaveLength(1);
  });

  it('drops and counts malformed frames, then reassembles the next good message', () => {
    const reassembler = new Reassembler(LIMIT);
    const good = encodeFrames('y'.repeat(2 * MAX_CHUNK_BYTES + 5), 7, LIMIT)!;
    const badVersion = good[0]!.slice();
    badVersion[0] = 9;
    const results = [
      reassembler.push(new Uint8Array(3)), // shorter than a header
      reassembler.push(badVersion),
      reassembler.push(good[1]!), // a middle frame without its start
      reassembler.push(new Uint8Array(MAX_FRAME_BYTES + 1)),
    ];
    expect(results.map((result) => result.kind)).toEqual(['dropped', 'dropped', 'dropped', 'dropped']);
    expect(reassembler.stats.framesDropped).toBe(4);
    expect(reassembleAll(reassembler, good)).toHaveLength(1);
  });

  it('drops a message cut off by the start of another, and keeps the other', () => {
    const reassembler = new Reassembler(LIMIT);
    const first = encodeFrames('a'.repeat(3 * MAX_CHUNK_BYTES), 1, LIMIT)!;
    const second = encodeFrames('b'.repeat(10), 2, LIMIT)!;
    expect(reassembleAll(reassembler, [first[0]!, first[1]!, ...second])).toEqual(['b'.repeat(10)]);
    expect(reassembler.stats.messagesDropped).toBe(1);
  });

  it('drops a message that claims more chunks than fit below the limit, at its first frame', () => {
    const reassembler = new Reassembler(3 * MAX_CHUNK_BYTES);
    const frames = encodeFrames('z'.repeat(4 * MAX_CHUNK_BYTES), 3, LIMIT)!;
    expect(reassembler.push(frames[0]!)).toEqual({ kind: 'dropped', reason: expect.stringContaining('chunks') });
    expect(reassembleAll(reassembler, frames.slice(1))).toEqual([]);
    expect(reassembler.stats.messages).toBe(0);
  });

  it('drops a reassembly as soon as its bytes pass the limit', () => {
    const reassembler = new Reassembler(2 * MAX_CHUNK_BYTES + 10);
    const frames = encodeFrames('z'.repeat(3 * MAX_CHUNK_BYTES), 4, LIMIT)!;
    expect(frames.map((frame) => reassembler.push(frame).kind)).toEqual(['partial', 'partial', 'dropped']);
    expect(reassembler.stats.lastDropReason).toContain('grew above');
    expect(reassembleAll(reassembler, encodeFrames('ok', 5, LIMIT)!)).toEqual(['ok']);
  });

  it('drops text that is not UTF-8', () => {
    const reassembler = new Reassembler(LIMIT);
    const frame = encodeFrames('ab', 0, LIMIT)![0]!;
    frame[FRAME_HEADER_BYTES] = 0xff;
    expect(reassembler.push(frame)).toEqual({ kind: 'dropped', reason: expect.stringContaining('UTF-8') });
  });
});

describe('FrameSender', () => {
  const options = { highWaterBytes: 256 * 1024, maxQueuedBytes: 1024 * 1024 };

  it('sends straight to the channel below the high-water mark, without the stream', () => {
    const channel = new FakeChannel();
    const sender = new FrameSender(channel, options);
    for (let index = 0; index < 50; index++) expect(sender.enqueue(encodeFrames(`message ${index}`, index, LIMIT)!)).toBe(true);
    expect(channel.wire).toHaveLength(50);
    expect(channel.writes).toBe(0);
    expect(sender.queuedBytes).toBe(0);
  });

  it('above the mark hands frames to the stream, sends later ones behind it, and keeps order', () => {
    const channel = new FakeChannel();
    const sender = new FrameSender(channel, options);
    const reassembler = new Reassembler(LIMIT);
    const texts = Array.from({ length: 40 }, (_, index) => `${index}:`.padEnd(20_000, String(index % 10)));
    texts.forEach((text, index) => expect(sender.enqueue(encodeFrames(text, index, LIMIT)!)).toBe(true));
    // The channel took frames up to about the mark; the rest wait in the stream.
    expect(channel.bufferedAmount).toBeLessThan(options.highWaterBytes + MAX_FRAME_BYTES);
    expect(sender.queuedBytes).toBeGreaterThan(0);
    const received: string[] = [];
    for (let round = 0; round < 1000 && (sender.queuedBytes > 0 || channel.wire.length > 0); round++) {
      received.push(...reassembleAll(reassembler, channel.drain(20_000)));
      // A small message sent meanwhile goes behind the stream, never ahead of it.
      if (round === 3) {
        texts.push('late');
        expect(sender.enqueue(encodeFrames('late', texts.length - 1, LIMIT)!)).toBe(true);
      }
    }
    expect(received).toEqual(texts);
    expect(channel.writes).toBeGreaterThan(0);
  });

  it('refuses a message that would take the stream over its bound, and sends nothing of it', () => {
    const channel = new FakeChannel();
    const sender = new FrameSender(channel, { highWaterBytes: 0, maxQueuedBytes: 100_000 });
    expect(sender.enqueue(encodeFrames('a'.repeat(90_000), 0, LIMIT)!)).toBe(true);
    expect(sender.queuedBytes).toBeGreaterThan(0);
    const before = sender.queuedBytes;
    const sent = channel.wire.length;
    expect(sender.enqueue(encodeFrames('b'.repeat(95_000), 1, LIMIT)!)).toBe(false);
    expect(sender.queuedBytes).toBe(before);
    expect(channel.wire).toHaveLength(sent);
  });
});
