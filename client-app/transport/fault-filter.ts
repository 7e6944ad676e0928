import type { Message } from '../../core/messages.ts';
import type { BatchBounds, Transport } from '../../core/transport.ts';
import type { ServerId } from '../../core/types.ts';

/**
 * Demo faults between this tab's node and its transport, so that a person can build a partition
 * by hand and watch the protocol react:
 * - cut(seat): nothing goes to or comes from that seat, and the node hears that the link went
 *   down (restore: up again, if the DataChannel is open). The other tab sees silence and times out.
 * - delay: every outgoing message waits that long (FIFO per seat is kept).
 * - hung: the tab stops answering: nothing is sent or processed, yet no link is reported down
 *   (as a tab whose main thread is stuck: its peers see only silence).
 * It also taps every message in and out for the views (`tap`), parsing received text once.
 */
export interface FaultSettings {
  readonly cut: readonly ServerId[];
  readonly delayMs: number;
  readonly hung: boolean;
}

export interface TappedMessage {
  readonly dir: 'in' | 'out';
  readonly peer: ServerId;
  readonly message: unknown;
  /** Why the fault filter dropped it, or null if it went through. */
  readonly dropped: string | null;
}

/** The inner transport also reports which links are open (for restore). */
export interface LinkAwareTransport extends Transport {
  openPeers(): ServerId[];
}

export const MAX_DEMO_DELAY_MS = 10_000;

export class FaultFilter implements Transport {
  private readonly cutSeats = new Set<ServerId>();
  private delay = 0;
  private isHung = false;
  private messageCallback: ((from: ServerId, data: unknown) => void) | null = null;
  private linkUpCallback: ((peer: ServerId) => void) | null = null;
  private linkDownCallback: ((peer: ServerId) => void) | null = null;
  /** Per seat: when the last delayed message leaves, so a shorter delay never overtakes a longer one. */
  private readonly releaseAt = new Map<ServerId, number>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private closed = false;

  constructor(
    private readonly inner: LinkAwareTransport,
    private readonly tap: (message: TappedMessage) => void,
    private readonly changed: () => void,
  ) {
    inner.onMessage((from, data) => this.receive(from, data));
    inner.onLinkUp((peer) => {
      if (!this.cutSeats.has(peer)) this.linkUpCallback?.(peer);
    });
    inner.onLinkDown((peer) => {
      if (!this.cutSeats.has(peer)) this.linkDownCallback?.(peer);
    });
  }

  get settings(): FaultSettings {
    return { cut: [...this.cutSeats].sort((a, b) => a - b), delayMs: this.delay, hung: this.isHung };
  }

  /** Seats whose link is open and not cut: what the node believes it can reach. */
  openPeers(): ServerId[] {
    return this.inner.openPeers().filter((seat) => !this.cutSeats.has(seat));
  }

  cut(seat: ServerId): void {
    if (this.cutSeats.has(seat)) return;
    this.cutSeats.add(seat);
    if (this.inner.openPeers().includes(seat)) this.linkDownCallback?.(seat);
    this.changed();
  }

  restore(seat: ServerId): void {
    if (!this.cutSeats.delete(seat)) return;
    if (this.inner.openPeers().includes(seat)) this.linkUpCallback?.(seat);
    this.changed();
  }

  setDelay(ms: number): void {
    this.delay = Math.max(0, Math.min(MAX_DEMO_DELAY_MS, Math.round(ms)));
    this.changed();
  }

  setHung(hung: boolean): void {
    this.isHung = hung;
    this.changed();
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  // ---------------------------------------------------------------- Transport

  send(to: ServerId, message: Message): void {
    const dropped = this.isHung ? 'hung' : this.cutSeats.has(to) ? 'cut' : null;
    this.tap({ dir: 'out', peer: to, message, dropped });
    if (dropped !== null) return;
    if (this.delay === 0 && !this.releaseAt.has(to)) return this.inner.send(to, message);
    const now = performance.now();
    const at = Math.max(now + this.delay, this.releaseAt.get(to) ?? 0);
    this.releaseAt.set(to, at);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.releaseAt.get(to) === at) this.releaseAt.delete(to);
      // A link cut (or a hang) while the message waited loses it, as a cut link loses what is in flight.
      if (!this.closed && !this.isHung && !this.cutSeats.has(to)) this.inner.send(to, message);
    }, at - now);
    this.timers.add(timer);
  }

  /**
   * Passes the driver's flush on: without it the transport's batch would leave only at its
   * microtask safety net, after the storage write the driver starts next (so a follower's disk
   * write would no longer overlap the leader's). Delayed messages leave on their own timers.
   */
  flush(): void {
    this.inner.flush?.();
  }

  onMessage(callback: (from: ServerId, data: unknown) => void): void {
    this.messageCallback = callback;
  }

  /** A received batch's bounds pass through: its messages reach the node synchronously, or not at all. */
  onBatch(bounds: BatchBounds): void {
    this.inner.onBatch?.(bounds);
  }

  onLinkUp(callback: (peer: ServerId) => void): void {
    this.linkUpCallback = callback;
    for (const peer of this.openPeers()) callback(peer);
  }

  onLinkDown(callback: (peer: ServerId) => void): void {
    this.linkDownCallback = callback;
  }

  private receive(from: ServerId, data: unknown): void {
    // Parsed once here for both the views and the node (decodeMessage validates a parsed value
    // the same way; the frame reassembler already bounds the text's size).
    let value = data;
    if (typeof data === 'string') {
      try {
        value = JSON.parse(data) as unknown;
      } catch {
        value = data; // the node refuses and counts it
      }
    }
    const dropped = this.isHung ? 'hung' : this.cutSeats.has(from) ? 'cut' : null;
    this.tap({ dir: 'in', peer: from, message: value, dropped });
    if (dropped === null) this.messageCallback?.(from, value);
  }
}
