import type { Message } from './messages.ts';
import type { ServerId } from './types.ts';

/**
 * Reliable FIFO links to the other servers, like WebRTC DataChannels: what is sent on a link
 * arrives in order or not at all, and a link that drops loses what was in flight. Incoming data
 * is `unknown` on purpose: it comes from another machine and is validated before use.
 */
export interface Transport {
  send(to: ServerId, message: Message): void;
  /**
   * Optional: messages sent since the last flush may be held and sent together (one channel
   * message per peer); the driver calls this at the end of every step and write it carries out.
   */
  flush?(): void;
  onMessage(callback: (from: ServerId, data: unknown) => void): void;
  onLinkUp(callback: (peer: ServerId) => void): void;
  onLinkDown(callback: (peer: ServerId) => void): void;
}
