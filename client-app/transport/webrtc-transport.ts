import SimplePeer from 'simple-peer';
import * as v from 'valibot';
import { encodeMessage, MAX_MESSAGE_BYTES, type Message } from '../../core/messages.ts';
import type { Transport } from '../../core/transport.ts';
import type { Json, ServerId } from '../../core/types.ts';
import { encodeFrames, FrameSender, Reassembler, type FrameChannel } from './framing.ts';
import { LinkProbes, parseControl } from './link-probe.ts';

/**
 * `Transport` over WebRTC DataChannels (simple-peer) to every other seat of the cluster, with
 * signals relayed by the signaling server.
 *
 * - Who connects: the LOWER seat of a pair initiates (sends the offer); the higher one answers.
 *   So two tabs never both offer (no glare to settle).
 * - Attempts: each offer carries a fresh attempt id, and every signal names its attempt. Signals
 *   of an older attempt (a reloaded tab, a retry) are dropped; an offer of a new attempt replaces
 *   the answerer's old connection.
 * - Drops: a channel that closes or errors reports `onLinkDown`. The initiator reconnects after a
 *   pause while the other seat is in the cluster; the answerer asks it to (`restart`), in case only
 *   the answerer noticed. What the signaling server says about a seat (`peer-left`, `peer-joined`)
 *   is a hint: an open link to that seat is probed over the DataChannel and closed only if the
 *   peer does not answer (link-probe.ts), since a dead peer's channel never closes by itself
 *   (BROWSER-NOTES.md) while a live one must survive any signaling server's failure.
 * - Connecting gets a timeout of its own: a connection not open by then is torn down and retried.
 * - Messages: `encodeMessage` text, cut into ≤ 16 KiB frames (framing.ts), sent while the
 *   channel's `bufferedAmount` is below a high-water mark and queued above it until
 *   `bufferedamountlow`. A link whose queue passes its bound is closed (its messages are lost,
 *   which the Transport contract allows; the protocol resyncs) instead of growing without end.
 *   Each reassembled message reaches `onMessage` as a string; the node validates it.
 */

/** The WebRTC signals between two tabs, as relayed (opaque to the signaling server). */
const SignalEnvelopeSchema = v.variant('kind', [
  v.strictObject({ kind: v.literal('signal'), attempt: v.pipe(v.string(), v.maxLength(64)), signal: v.record(v.string(), v.unknown()) }),
  /** From the answerer: its connection of `attempt` failed; please offer again. */
  v.strictObject({ kind: v.literal('restart'), attempt: v.pipe(v.string(), v.maxLength(64)) }),
]);
type SignalEnvelope = v.InferOutput<typeof SignalEnvelopeSchema>;

export interface TransportTiming {
  /** A connection that is not open by then is torn down and retried. */
  readonly connectTimeoutMs: number;
  /** Pause before offering again after a failure; doubles up to `retryDelayMaxMs`. */
  readonly retryDelayMs: number;
  readonly retryDelayMaxMs: number;
  readonly highWaterBytes: number;
  readonly lowWaterBytes: number;
  readonly maxQueuedBytes: number;
}

export const DEFAULT_TRANSPORT_TIMING: TransportTiming = {
  connectTimeoutMs: 10_000,
  retryDelayMs: 500,
  retryDelayMaxMs: 5_000,
  // BROWSER-NOTES.md measured 20k-60k messages/s pausing above 1 MB.
  highWaterBytes: 1024 * 1024,
  lowWaterBytes: 256 * 1024,
  maxQueuedBytes: 64 * 1024 * 1024,
};

export interface WebRtcTransportOptions {
  readonly seat: ServerId;
  /** Relays one signal to another seat through the signaling server. */
  readonly sendSignal: (to: ServerId, data: Json) => void;
  readonly log: (line: string) => void;
  readonly timing?: Partial<TransportTiming>;
  /** ICE servers; none by default (tabs of one machine or LAN connect with host candidates). */
  readonly iceServers?: RTCIceServer[];
}

export interface TransportStats {
  messagesSent: number;
  messagesReceived: number;
  /** Messages for a seat with no open link. */
  sendsDropped: number;
  /**
   * Messages above MAX_MESSAGE_BYTES, which no framing carries. Core cuts everything it sends
   * below that limit (DIFF by bytes, SNAP in chunks), so this is a bug: it is logged as an error
   * and shown on the page (`unsendable`), never only counted.
   */
  sendsOversized: number;
  lastOversized: string | null;
  framesDropped: number;
  messagesDropped: number;
  signalsDropped: number;
  linksClosedForBackpressure: number;
  lastDropReason: string | null;
}

interface Link {
  readonly remote: ServerId;
  readonly attempt: string;
  readonly peer: SimplePeer.Instance;
  readonly reassembler: Reassembler;
  sender: FrameSender | null;
  up: boolean;
  closed: boolean;
  connectTimer: number | null;
  nextMessageId: number;
}

export class WebRtcTransport implements Transport {
  readonly stats: TransportStats = {
    messagesSent: 0,
    messagesReceived: 0,
    sendsDropped: 0,
    sendsOversized: 0,
    lastOversized: null,
    framesDropped: 0,
    messagesDropped: 0,
    signalsDropped: 0,
    linksClosedForBackpressure: 0,
    lastDropReason: null,
  };
  private readonly timing: TransportTiming;
  /** Seats the signaling server says hold a live tab of the cluster (besides this one). */
  private readonly present = new Set<ServerId>();
  private readonly links = new Map<ServerId, Link>();
  private readonly retryTimers = new Map<ServerId, number>();
  private readonly retryDelays = new Map<ServerId, number>();
  private messageCallback: ((from: ServerId, data: unknown) => void) | null = null;
  private linkUpCallback: ((peer: ServerId) => void) | null = null;
  private linkDownCallback: ((peer: ServerId) => void) | null = null;
  private readonly linkListeners: (() => void)[] = [];
  private readonly probes: LinkProbes<Link>;
  private isClosed = false;

  constructor(private readonly options: WebRtcTransportOptions) {
    this.timing = { ...DEFAULT_TRANSPORT_TIMING, ...options.timing };
    this.probes = new LinkProbes<Link>({
      send: (link, text) => this.sendControl(link, text),
      dead: (link, why) => {
        this.options.log(`link to ${link.remote} closed: ${why}`);
        this.closeLink(link, true);
      },
      alive: (link) => {
        // The peer is there, whatever the signaling server said: keep reconnecting to it if the link drops.
        if (this.links.get(link.remote) === link) this.present.add(link.remote);
      },
      setTimer: (callback, ms) => window.setTimeout(callback, ms),
      clearTimer: (timer) => window.clearTimeout(timer as number),
    });
  }

  // ---------------------------------------------------------------- Transport

  send(to: ServerId, message: Message): void {
    const link = this.links.get(to);
    if (link === undefined || !link.up || link.sender === null) return this.dropSend(`no open link to ${to} for ${message.kind}`);
    const frames = encodeFrames(encodeMessage(message), link.nextMessageId++, MAX_MESSAGE_BYTES);
    if (frames === null) return this.refuseOversized(to, message);
    let accepted: boolean;
    try {
      accepted = link.sender.enqueue(frames);
    } catch (error) {
      this.options.log(`link to ${to} failed on send: ${(error as Error).message}`);
      return this.closeLink(link, true);
    }
    if (!accepted) {
      this.stats.linksClosedForBackpressure++;
      this.options.log(`link to ${to} closed: more than ${this.timing.maxQueuedBytes} bytes queued (peer too slow)`);
      return this.closeLink(link, true);
    }
    this.stats.messagesSent++;
  }

  onMessage(callback: (from: ServerId, data: unknown) => void): void {
    this.messageCallback = callback;
  }

  /** Links already open when the node registers are reported to it at once. */
  onLinkUp(callback: (peer: ServerId) => void): void {
    this.linkUpCallback = callback;
    for (const link of this.links.values()) if (link.up) callback(link.remote);
  }

  onLinkDown(callback: (peer: ServerId) => void): void {
    this.linkDownCallback = callback;
  }

  // ---------------------------------------------------------------- membership and signals

  /** Seats with an open DataChannel, ascending. */
  openPeers(): ServerId[] {
    return [...this.links.values()].filter((link) => link.up).map((link) => link.remote).sort((a, b) => a - b);
  }

  /** Called whenever a link opens or closes (for the UI). */
  onLinksChanged(listener: () => void): void {
    this.linkListeners.push(listener);
  }

  /**
   * Seats that were in the cluster when this tab (re)joined. Only adds, and keeps links that are
   * open or opening (a signaling server that restarted lists tabs we are still connected to):
   * departures come as peerLeft.
   */
  addPeers(seats: readonly ServerId[]): void {
    for (const seat of seats) {
      if (this.isClosed || seat === this.options.seat) continue;
      this.present.add(seat);
      if (this.initiates(seat) && !this.links.has(seat)) this.connect(seat);
    }
  }

  /**
   * A tab took `seat`: a new tab (any link that is not open was to its predecessor; an open one
   * is probed, and closed if nobody answers), or this cluster's own tab registering again after
   * its signaling server died (the open link answers the probe and stays).
   */
  peerJoined(seat: ServerId): void {
    if (this.isClosed || seat === this.options.seat) return;
    this.present.add(seat);
    this.retryDelays.delete(seat);
    this.cancelRetry(seat);
    const link = this.links.get(seat);
    if (link?.up === true) this.probes.probe(link, 'peer-joined');
    else if (this.initiates(seat)) this.connect(seat);
  }

  /** The signaling server says the seat's tab left: no more reconnecting to it, and an open link is probed. */
  peerLeft(seat: ServerId): void {
    this.present.delete(seat);
    this.cancelRetry(seat);
    const link = this.links.get(seat);
    if (link === undefined) return;
    if (link.up) this.probes.probe(link, 'peer-left');
    else this.closeLink(link, false);
  }

  /** A signal relayed from another seat. Anything malformed or stale is dropped and counted. */
  handleSignal(from: ServerId, data: unknown): void {
    if (this.isClosed) return;
    const parsed = v.safeParse(SignalEnvelopeSchema, data);
    if (!parsed.success) return this.dropSignal(`malformed signal from ${from}`);
    const envelope: SignalEnvelope = parsed.output;
    const link = this.links.get(from);
    if (envelope.kind === 'restart') {
      if (!this.initiates(from)) return this.dropSignal(`restart from lower seat ${from}`);
      if (link !== undefined && link.attempt !== envelope.attempt && !link.closed) return; // already on a newer attempt
      this.present.add(from);
      this.cancelRetry(from);
      return this.connect(from);
    }
    if (link !== undefined && link.attempt === envelope.attempt && !link.closed) {
      link.peer.signal(envelope.signal as SimplePeer.SignalData);
      return;
    }
    if (this.initiates(from)) return this.dropSignal(`signal of stale attempt ${envelope.attempt} from ${from}`);
    if (envelope.signal.type !== 'offer') return this.dropSignal(`${String(envelope.signal.type ?? 'candidate')} of unknown attempt ${envelope.attempt} from ${from}`);
    // A new offer from the lower seat: it replaces whatever connection we had with it.
    this.present.add(from);
    if (link !== undefined) this.closeLink(link, false);
    this.createLink(from, envelope.attempt, false).peer.signal(envelope.signal as SimplePeer.SignalData);
  }

  /** Destroys every connection (pc.close(): the other side's channel closes within milliseconds). */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const timer of this.retryTimers.values()) window.clearTimeout(timer);
    this.retryTimers.clear();
    for (const link of [...this.links.values()]) this.closeLink(link, false);
  }

  // ---------------------------------------------------------------- links

  private initiates(remote: ServerId): boolean {
    return this.options.seat < remote;
  }

  private connect(remote: ServerId): void {
    if (this.isClosed || !this.present.has(remote)) return;
    const old = this.links.get(remote);
    if (old !== undefined) this.closeLink(old, false);
    this.createLink(remote, randomAttempt(), true);
  }

  private createLink(remote: ServerId, attempt: string, initiator: boolean): Link {
    const peer = new SimplePeer({
      initiator,
      trickle: true,
      // Never public STUN servers by default (BROWSER-NOTES.md): host candidates suffice here.
      config: { iceServers: this.options.iceServers ?? [] },
      channelConfig: { ordered: true },
    });
    const link: Link = { remote, attempt, peer, reassembler: new Reassembler(MAX_MESSAGE_BYTES), sender: null, up: false, closed: false, connectTimer: null, nextMessageId: 0 };
    this.links.set(remote, link);
    link.connectTimer = window.setTimeout(() => {
      link.connectTimer = null;
      if (link.up || link.closed) return;
      this.options.log(`link to ${remote} not open after ${this.timing.connectTimeoutMs} ms: retrying`);
      this.closeLink(link, true);
    }, this.timing.connectTimeoutMs);
    peer.on('signal', (signal) => {
      if (!link.closed) this.options.sendSignal(remote, { kind: 'signal', attempt, signal: signal as unknown as Json });
    });
    peer.on('connect', () => this.handleConnect(link));
    peer.on('data', (chunk: Uint8Array) => this.handleData(link, chunk));
    peer.on('close', () => this.closeLink(link, true));
    peer.on('error', (error: Error) => {
      this.options.log(`link to ${remote} error: ${error.message}`);
      this.closeLink(link, true);
    });
    return link;
  }

  private handleConnect(link: Link): void {
    if (link.closed || this.links.get(link.remote) !== link) return;
    const channel = dataChannelOf(link.peer);
    if (channel === null) {
      this.options.log(`link to ${link.remote} connected without a data channel`);
      return this.closeLink(link, true);
    }
    channel.bufferedAmountLowThreshold = this.timing.lowWaterBytes;
    const frameChannel: FrameChannel = {
      get bufferedAmount() {
        return channel.bufferedAmount;
      },
      send: (frame) => channel.send(frame as Uint8Array<ArrayBuffer>),
    };
    const sender = new FrameSender(frameChannel, { highWaterBytes: this.timing.highWaterBytes, maxQueuedBytes: this.timing.maxQueuedBytes });
    channel.addEventListener('bufferedamountlow', () => {
      if (link.closed) return;
      try {
        sender.flush();
      } catch (error) {
        this.options.log(`link to ${link.remote} failed on send: ${(error as Error).message}`);
        this.closeLink(link, true);
      }
    });
    link.sender = sender;
    link.up = true;
    if (link.connectTimer !== null) window.clearTimeout(link.connectTimer);
    link.connectTimer = null;
    this.retryDelays.delete(link.remote);
    this.options.log(`link to ${link.remote} open`);
    this.linkUpCallback?.(link.remote);
    this.notifyLinks();
  }

  private handleData(link: Link, chunk: Uint8Array): void {
    if (link.closed) return;
    const framesDroppedBefore = link.reassembler.stats.framesDropped;
    const result = link.reassembler.push(chunk);
    if (result.kind === 'partial') return;
    if (result.kind === 'dropped') {
      this.stats.framesDropped += link.reassembler.stats.framesDropped - framesDroppedBefore;
      this.stats.messagesDropped++;
      this.stats.lastDropReason = `from ${link.remote}: ${result.reason}`;
      return;
    }
    const control = parseControl(result.text);
    if (control !== null) return this.probes.receive(link, control);
    this.stats.messagesReceived++;
    this.messageCallback?.(link.remote, result.text);
  }

  /**
   * Ends a link once (idempotent). `retry`: the link failed by itself, so the initiator offers
   * again after a pause, and the answerer asks it to.
   */
  private closeLink(link: Link, retry: boolean): void {
    if (link.closed) return;
    link.closed = true;
    if (link.connectTimer !== null) window.clearTimeout(link.connectTimer);
    link.connectTimer = null;
    if (this.links.get(link.remote) === link) this.links.delete(link.remote);
    this.probes.forget(link);
    link.peer.destroy();
    if (link.up) {
      link.up = false;
      this.options.log(`link to ${link.remote} closed`);
      this.linkDownCallback?.(link.remote);
      this.notifyLinks();
    }
    if (retry && !this.isClosed && this.present.has(link.remote) && !this.links.has(link.remote)) this.scheduleRetry(link);
  }

  /** Sends transport control text (link-probe.ts) on an open link; false if it cannot. */
  private sendControl(link: Link, text: string): boolean {
    if (link.closed || !link.up || link.sender === null) return false;
    const frames = encodeFrames(text, link.nextMessageId++, MAX_MESSAGE_BYTES);
    try {
      return frames !== null && link.sender.enqueue(frames);
    } catch {
      return false;
    }
  }

  private scheduleRetry(link: Link): void {
    const remote = link.remote;
    if (this.retryTimers.has(remote)) return;
    const delay = this.retryDelays.get(remote) ?? this.timing.retryDelayMs;
    this.retryDelays.set(remote, Math.min(delay * 2, this.timing.retryDelayMaxMs));
    const timer = window.setTimeout(() => {
      this.retryTimers.delete(remote);
      if (this.isClosed || !this.present.has(remote) || this.links.has(remote)) return;
      if (this.initiates(remote)) this.connect(remote);
      else this.options.sendSignal(remote, { kind: 'restart', attempt: link.attempt });
    }, delay);
    this.retryTimers.set(remote, timer);
  }

  private cancelRetry(remote: ServerId): void {
    const timer = this.retryTimers.get(remote);
    if (timer !== undefined) window.clearTimeout(timer);
    this.retryTimers.delete(remote);
  }

  private refuseOversized(to: ServerId, message: Message): void {
    const what = `ERROR: cannot send ${message.kind} to ${to}: above the transport's limit of ${MAX_MESSAGE_BYTES} bytes (a bug: nothing may be this large)`;
    this.stats.sendsOversized++;
    this.stats.lastOversized = what;
    this.stats.lastDropReason = what;
    this.options.log(what);
    console.error(`tabkeeper: ${what}`);
  }

  private dropSend(reason: string): void {
    this.stats.sendsDropped++;
    this.stats.lastDropReason = reason;
  }

  private dropSignal(reason: string): void {
    this.stats.signalsDropped++;
    this.stats.lastDropReason = reason;
  }

  private notifyLinks(): void {
    for (const listener of this.linkListeners) listener();
  }
}

/**
 * simple-peer keeps its RTCDataChannel in `_channel` (undocumented, stable since 9.0). The
 * transport needs it for `bufferedAmount` and `bufferedamountlow`; simple-peer's own stream
 * backpressure (`write`) would hide the queue this transport must bound.
 */
function dataChannelOf(peer: SimplePeer.Instance): RTCDataChannel | null {
  const channel = (peer as unknown as { _channel?: RTCDataChannel | null })._channel;
  return channel ?? null;
}

function randomAttempt(): string {
  return crypto.randomUUID();
}
