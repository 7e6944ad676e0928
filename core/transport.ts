import type { Message } from './messages.ts';
import type { ServerId } from './types.ts';

/** What a transport calls around a batch of messages delivered together (see Transport.onBatch). */
export interface BatchBounds {
  begin(): void;
  end(): void;
}

/**
 * Reliable FIFO links to the other servers, like WebRTC DataChannels: what is sent on a link
 * arrives in order or not at all, and a link that drops loses what was in flight. Incoming data
 * is `unknown` on purpose: it comes from another machine and is validated before use.
 */
export interface Transport {
  send(to: ServerId, message: Message): void;
  /**
   * Optional: messages sent since the last flush may be held and sent together (one channel
   * message per peer), but not for long: a transport that holds them sends them itself at the
   * end of the current task. The driver calls this before it starts a storage write, so that
   * what it sent leaves before the write's own work (a follower's write overlaps the leader's).
   */
  flush?(): void;
  /**
   * Optional: a transport that hands over several messages at once (one channel message carrying
   * a batch) calls `begin` before the first and `end` after the last (also when a callback
   * throws), never nested. Meanwhile the driver starts no storage write, so what the whole batch
   * produced goes into one write (group commit) instead of one for its first message and another
   * for the rest behind it.
   */
  onBatch?(bounds: BatchBounds): void;
  onMessage(callback: (from: ServerId, data: unknown) => void): void;
  onLinkUp(callback: (peer: ServerId) => void): void;
  onLinkDown(callback: (peer: ServerId) => void): void;
}
