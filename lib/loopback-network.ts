import type { Clock } from '../core/clock.ts';
import { encodeMessage } from '../core/messages.ts';
import type { Transport } from '../core/transport.ts';
import type { ServerId } from '../core/types.ts';

/**
 * For tests that run real ZabNodes in one Node process on real time (the gateway's and the
 * ZooKeeper listener's tests): a clock on the process's timers and in-memory links between the
 * nodes. The simulator has its own virtual clock and network; this is for code that must meet
 * real timers (sockets, session timeouts) and so cannot run inside the simulator.
 */
export const realClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  setTimer: (delayMs, callback) => setTimeout(callback, delayMs) as unknown as number,
  clearTimer: (id) => clearTimeout(id),
};

/**
 * Links between in-memory nodes: each message goes through the real codec and arrives FIFO on
 * a later macrotask, as a DataChannel delivers it.
 */
export class LoopbackNetwork {
  private readonly receivers = new Map<ServerId, (from: ServerId, data: unknown) => void>();
  /** Servers cut off from everyone: what they send and what is sent to them is lost. */
  readonly down = new Set<ServerId>();
  /** Extra delay of messages to a server: a slow link, so it serves but lags behind. */
  readonly delayTo = new Map<ServerId, number>();

  transportOf(sid: ServerId): Transport {
    return {
      send: (to, message) => {
        if (this.down.has(sid) || this.down.has(to)) return;
        const text = encodeMessage(message);
        setTimeout(() => this.receivers.get(to)?.(sid, text), this.delayTo.get(to) ?? 0);
      },
      onMessage: (callback) => this.receivers.set(sid, callback),
      onLinkUp: () => {},
      onLinkDown: () => {},
    };
  }
}
