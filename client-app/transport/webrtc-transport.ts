import SimplePeer from 'simple-peer';
import * as v from 'valibot';
import { encodeMessage, MAX_MESSAGE_BYTES, type Message } from '../../core/messages.ts';
import type { BatchBounds, Transport } from '../../core/transport.ts';
import type { Json, ServerId } from '../../core/types.ts';
import type { HmacKey } from '../../protocol/cluster-key.ts';
import { encodeFrames, FrameSender, Reassembler, type FrameChannel } from './framing.ts';
import { Listeners } from '../../core/listeners.ts';
import { backoffMs } from '../../lib/backoff.ts';
import { LinkProbes, parseControl, PEER_LEFT_PROBE_TIMEOUT_MS } from './link-probe.ts';
import { isHandshakeText, PeerHandshake, sdpFingerprint } from './peer-auth.ts';

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
 *   peer does not answer (link-probe.ts: within 0.5 s after peer-left, 4 s otherwise), since a
 *   dead peer's channel never closes by itself (docs/BROWSER.md) while a live one must survive any
 *   signaling server's failure.
 * - Connecting gets a timeout of its own: a connection not open by then is torn down and retried.
 * - Messages: `encodeMessage` text, cut into ≤ 16 KiB frames (framing.ts), sent with
 *   simple-peer's `send` while its `bufferSize` is below a high-water mark, and above it through
 *   its writable stream, which feeds the channel as it drains (simple-peer's own backpressure on
 *   `bufferedamountlow`). A link whose stream passes its bound is closed (its messages are lost,
 *   which the Transport contract allows; the protocol resyncs) instead of growing without end.
 *   Each reassembled message reaches `onMessage` as a string; the node validates it.
 * - Batching: messages sent during one task wait in a per-peer outbox and leave as one channel
 *   message at the end of the task (a microtask), or at `flush()`, which the driver calls before
 *   it starts a storage write; joined by U+001E,
 *   which JSON text never holds raw (JSON.stringify escapes control characters). A group commit
 *   of many proposals and acks is then one DataChannel message and one event at the other end.
 * - Receiving: frames come from simple-peer's `data` event (emitted synchronously from the
 *   channel's `message` event while the stream flows, as it does from `connect` on). A batch's
 *   bounds go to `onBatch`, so the driver makes one storage write of what the batch produced.
 * - Authentication (keyed clusters): an open channel is not yet a link. Both tabs first run the
 *   join-key handshake (peer-auth.ts); until the peer's proof verifies, every other message from
 *   it is dropped and counted, and the node hears of the link only once it is authenticated. A
 *   failed or late proof closes the channel, logs why and counts it (`stats.authFailures`, shown
 *   on the page). Messages that arrive while a proof is being checked wait behind it in order.
 *   A keyless cluster runs no handshake: any tab the signaling server introduces is a peer.
 */

/** Separates the messages of one batch (see above). */
const BATCH_SEPARATOR = '\u001e';
/** An outbox this large is sent at once instead of waiting for the flush. */
const BATCH_FLUSH_CHARS = 256 * 1024;

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
  /** Frames go straight to the channel while it buffers less; above, through simple-peer's stream. */
  readonly highWaterBytes: number;
  readonly maxQueuedBytes: number;
}

export const DEFAULT_TRANSPORT_TIMING: TransportTiming = {
  connectTimeoutMs: 10_000,
  retryDelayMs: 500,
  retryDelayMaxMs: 5_000,
  // docs/BROWSER.md measured 20k-60k messages/s pausing above 1 MB.
  highWaterBytes: 1024 * 1024,
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
  /** The cluster's name and peer-auth key (cluster-key.ts) for the join-key handshake; null for a keyless cluster. */
  readonly auth?: { readonly cluster: string; readonly key: HmacKey } | null;
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
  /** Channels closed because the peer failed the join-key handshake (or gave no proof in time). */
  authFailures: number;
  lastAuthFailure: string | null;
  /** Messages dropped because they came before the peer's proof. */
  unauthenticatedDropped: number;
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
  /** The join-key handshake; null once authenticated, or for a keyless cluster. */
  handshake: PeerHandshake | null;
  /** Received messages waiting behind a proof being checked, in arrival order. */
  inbox: Promise<void>;
  inboxLength: number;
  /** Handshake text computed before the channel reported `connect` (the peer's hello came first): sent right after our hello. */
  outbox: string[];
  /**
   * The DTLS fingerprints of this connection as this side sees them (channel binding for
   * peer-auth.ts), read from the descriptions as they pass through simple-peer's public
   * `signal` event and method: the local one it emits, the remote one we hand it.
   */
  readonly fingerprints: { local: string; remote: string };
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
    authFailures: 0,
    lastAuthFailure: null,
    unauthenticatedDropped: 0,
  };
  private readonly timing: TransportTiming;
  /** Seats the signaling server says hold a live tab of the cluster (besides this one). */
  private readonly present = new Set<ServerId>();
  private readonly links = new Map<ServerId, Link>();
  private readonly retryTimers = new Map<ServerId, number>();
  /** Retries of a link since it was last up (backoff.ts: the next pause doubles with each). */
  private readonly retryAttempts = new Map<ServerId, number>();
  private messageCallback: ((from: ServerId, data: unknown) => void) | null = null;
  private batchBounds: BatchBounds | null = null;
  private linkUpCallback: ((peer: ServerId) => void) | null = null;
  private linkDownCallback: ((peer: ServerId) => void) | null = null;
  private readonly linkListeners = new Listeners<[]>();
  private readonly probes: LinkProbes<Link>;
  private isClosed = false;
  /** Encoded messages per peer, waiting for `flush()`. */
  private readonly outbox = new Map<ServerId, { texts: string[]; chars: number }>();
  private flushScheduled = false;
  /** While a received batch is handed to the node piece by piece, its flushes wait for the end. */
  private delivering = false;

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
    const text = encodeMessage(message);
    if (text.length * 3 > MAX_MESSAGE_BYTES && new TextEncoder().encode(text).length > MAX_MESSAGE_BYTES) return this.refuseOversized(to, message);
    let box = this.outbox.get(to);
    if (box === undefined) this.outbox.set(to, (box = { texts: [], chars: 0 }));
    box.texts.push(text);
    box.chars += text.length + 1;
    this.stats.messagesSent++;
    if (box.chars >= BATCH_FLUSH_CHARS) return this.flushTo(to);
    if (!this.flushScheduled) {
      // Everything the node sends in this task leaves together (the driver flushes earlier only
      // before a storage write).
      this.flushScheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  /** Sends every waiting batch, one channel message per peer. */
  flush(): void {
    if (this.delivering) return;
    this.flushScheduled = false;
    for (const to of [...this.outbox.keys()]) this.flushTo(to);
  }

  private flushTo(to: ServerId): void {
    const box = this.outbox.get(to);
    this.outbox.delete(to);
    if (box === undefined || box.texts.length === 0) return;
    const link = this.links.get(to);
    if (link === undefined || !link.up || link.sender === null) return this.dropSend(`link to ${to} closed before ${box.texts.length} messages left`);
    const frames = encodeFrames(box.texts.join(BATCH_SEPARATOR), link.nextMessageId++, MAX_MESSAGE_BYTES);
    if (frames === null) {
      // One batch too large as a whole: its messages go one by one.
      for (const text of box.texts) this.enqueueFrames(link, encodeFrames(text, link.nextMessageId++, MAX_MESSAGE_BYTES)!);
      return;
    }
    this.enqueueFrames(link, frames);
  }

  private enqueueFrames(link: Link, frames: Uint8Array[]): void {
    const to = link.remote;
    if (link.closed || link.sender === null) return;
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
  }

  onMessage(callback: (from: ServerId, data: unknown) => void): void {
    this.messageCallback = callback;
  }

  onBatch(bounds: BatchBounds): void {
    this.batchBounds = bounds;
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

  /** Seats the signaling server says hold a live tab of the cluster, ascending (for the UI). */
  presentPeers(): ServerId[] {
    return [...this.present].sort((a, b) => a - b);
  }

  /** Called whenever a link opens or closes (for the UI). */
  onLinksChanged(listener: () => void): void {
    this.linkListeners.add(listener);
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
    this.retryAttempts.delete(seat);
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
    if (!link.up) return this.closeLink(link, false);
    this.options.log(`signaling says seat ${seat} left: probing its link (${PEER_LEFT_PROBE_TIMEOUT_MS} ms to answer)`);
    this.probes.probe(link, 'peer-left', PEER_LEFT_PROBE_TIMEOUT_MS);
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
      this.deliverSignal(link, envelope.signal as SimplePeer.SignalData);
      return;
    }
    if (this.initiates(from)) return this.dropSignal(`signal of stale attempt ${envelope.attempt} from ${from}`);
    if (envelope.signal.type !== 'offer') return this.dropSignal(`${String(envelope.signal.type ?? 'candidate')} of unknown attempt ${envelope.attempt} from ${from}`);
    // A new offer from the lower seat: it replaces whatever connection we had with it.
    this.present.add(from);
    if (link !== undefined) this.closeLink(link, false);
    this.deliverSignal(this.createLink(from, envelope.attempt, false), envelope.signal as SimplePeer.SignalData);
  }

  private deliverSignal(link: Link, signal: SimplePeer.SignalData): void {
    if ('sdp' in signal && typeof signal.sdp === 'string') link.fingerprints.remote = sdpFingerprint(signal.sdp) || link.fingerprints.remote;
    link.peer.signal(signal);
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
      // Never public STUN servers by default (docs/BROWSER.md): host candidates suffice here.
      config: { iceServers: this.options.iceServers ?? [] },
      channelConfig: { ordered: true },
    });
    const auth = this.options.auth ?? null;
    const link: Link = {
      remote,
      attempt,
      peer,
      reassembler: new Reassembler(MAX_MESSAGE_BYTES),
      sender: null,
      up: false,
      closed: false,
      connectTimer: null,
      nextMessageId: 0,
      handshake:
        auth === null
          ? null
          : new PeerHandshake({ cluster: auth.cluster, key: auth.key, local: this.options.seat, remote, fingerprints: () => link.fingerprints }),
      inbox: Promise.resolve(),
      inboxLength: 0,
      outbox: [],
      fingerprints: { local: '', remote: '' },
    };
    this.links.set(remote, link);
    link.connectTimer = window.setTimeout(() => {
      link.connectTimer = null;
      if (link.up || link.closed) return;
      if (link.sender !== null && link.handshake !== null) return this.authFailed(link, `no valid proof within ${this.timing.connectTimeoutMs} ms`);
      this.options.log(`link to ${remote} not open after ${this.timing.connectTimeoutMs} ms: retrying`);
      this.closeLink(link, true);
    }, this.timing.connectTimeoutMs);
    peer.on('signal', (signal) => {
      if ('sdp' in signal && typeof signal.sdp === 'string') link.fingerprints.local = sdpFingerprint(signal.sdp) || link.fingerprints.local;
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
    // simple-peer's public API only: `send` and `bufferSize` while the channel keeps up, its
    // writable stream (which waits for `bufferedamountlow` itself) when it does not (framing.ts).
    const peer = link.peer;
    const frameChannel: FrameChannel = {
      get bufferedAmount() {
        return peer.bufferSize;
      },
      get streamedBytes() {
        return peer.writableLength;
      },
      send: (frame) => peer.send(frame),
      write: (frame) => void peer.write(frame),
    };
    const sender = new FrameSender(frameChannel, { highWaterBytes: this.timing.highWaterBytes, maxQueuedBytes: this.timing.maxQueuedBytes });
    link.sender = sender;
    if (link.handshake === null) return this.linkUp(link, 'open');
    // The connect timer keeps running: the peer must prove the key within it too.
    for (const text of [link.handshake.hello(), ...link.outbox.splice(0)]) if (!this.sendRaw(link, text)) return;
  }

  /** The link carries protocol traffic from now on: the node hears of it. */
  private linkUp(link: Link, how: string): void {
    link.up = true;
    if (link.connectTimer !== null) window.clearTimeout(link.connectTimer);
    link.connectTimer = null;
    this.retryAttempts.delete(link.remote);
    this.options.log(`link to ${link.remote} ${how}`);
    this.linkUpCallback?.(link.remote);
    this.notifyLinks();
  }

  /** Sends handshake text on a link that is not up yet. False if the link failed (and was closed). */
  private sendRaw(link: Link, text: string): boolean {
    if (link.sender === null) {
      link.outbox.push(text);
      return true;
    }
    const frames = encodeFrames(text, link.nextMessageId++, MAX_MESSAGE_BYTES);
    try {
      if (frames !== null && link.sender?.enqueue(frames) === true) return true;
    } catch (error) {
      this.options.log(`link to ${link.remote} failed on send: ${(error as Error).message}`);
    }
    this.closeLink(link, true);
    return false;
  }

  /** One message of a link that is not authenticated yet (or still has messages waiting behind a proof). */
  private async authStep(link: Link, text: string): Promise<void> {
    if (link.closed) return;
    const handshake = link.handshake;
    if (handshake === null) return this.deliver(link, text);
    if (!isHandshakeText(text)) {
      // A tab without the key (or without a handshake at all) talking protocol: not heard.
      this.stats.unauthenticatedDropped++;
      this.stats.lastDropReason = `from ${link.remote}: a message before the join-key handshake`;
      if (this.stats.unauthenticatedDropped === 1 || this.stats.unauthenticatedDropped % 100 === 0) {
        this.options.log(`dropped a message from ${link.remote} before it proved the join key (${this.stats.unauthenticatedDropped} so far)`);
      }
      return;
    }
    const step = await handshake.receive(text);
    if (link.closed) return;
    if (step.kind === 'failed') return this.authFailed(link, step.reason);
    if (step.kind === 'continue') {
      if (step.send !== null) this.sendRaw(link, step.send);
      return;
    }
    link.handshake = null;
    this.linkUp(link, 'open (the peer proved the join key)');
  }

  private authFailed(link: Link, reason: string): void {
    this.stats.authFailures++;
    this.stats.lastAuthFailure = `seat ${link.remote}: ${reason}`;
    this.options.log(`link to ${link.remote} closed: join-key handshake failed: ${reason}`);
    this.notifyLinks();
    this.closeLink(link, true);
  }

  private deliver(link: Link, text: string): void {
    const control = parseControl(text);
    if (control !== null) return this.probes.receive(link, control);
    // What the node sends in answer to a whole batch leaves as one batch too, and what it writes
    // is one storage write: at the batch's end (`delivering` over) the driver flushes what the
    // batch sent (a leader's proposals) and then starts the write.
    this.batchBounds?.begin();
    this.delivering = true;
    try {
      for (const part of text.split(BATCH_SEPARATOR)) {
        this.stats.messagesReceived++;
        this.messageCallback?.(link.remote, part);
      }
    } finally {
      this.delivering = false;
      this.batchBounds?.end();
    }
    this.flush();
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
    if (link.up && link.inboxLength === 0) return this.deliver(link, result.text);
    // Not authenticated yet, or earlier messages still wait behind a proof: keep arrival order.
    link.inboxLength++;
    link.inbox = link.inbox
      .then(() => this.authStep(link, result.text))
      .catch((error: unknown) => this.authFailed(link, `handshake error: ${(error as Error).message}`))
      .finally(() => {
        link.inboxLength--;
      });
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
    const attempt = this.retryAttempts.get(remote) ?? 0;
    this.retryAttempts.set(remote, attempt + 1);
    const delay = backoffMs(attempt, { firstMs: this.timing.retryDelayMs, maxMs: this.timing.retryDelayMaxMs });
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
    this.linkListeners.emit();
  }
}

function randomAttempt(): string {
  return crypto.randomUUID();
}
