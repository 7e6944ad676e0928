import { assert } from '../assert.ts';
import { Listeners } from '../listeners.ts';
import { encodeMessage, MAX_MESSAGE_BYTES, type Message } from '../messages.ts';
import { utf8ByteLength } from '../tree/limits.ts';
import type { Transport } from '../transport.ts';
import type { ServerId } from '../types.ts';
import type { Prng } from './prng.ts';
import type { SimWorld } from './world.ts';

export interface SimNetworkOptions {
  /** Delivery delay of a message, drawn uniformly per message (integer ms). */
  readonly delayMsMin: number;
  readonly delayMsMax: number;
  /** Delay before a link-up or link-down callback runs. Defaults to the message delay range. */
  readonly linkEventDelayMsMin?: number;
  readonly linkEventDelayMsMax?: number;
}

/** Why a message was lost. */
export type DropReason =
  /** The directed link was cut when it was sent. */
  | 'link-down'
  /** The sender (an old incarnation) or the receiver was not attached when it was sent. */
  | 'detached'
  /** The scenario filter said 'drop'. */
  | 'filter'
  /** The link was cut, or an end detached, while it was in flight. */
  | 'lost-in-flight'
  /** Its encoded size is above the transport's limit: a browser could not frame it. */
  | 'oversized';

/**
 * One line of a network trace. Messages: 'send' when sent, then 'deliver' or 'drop'. Link
 * callbacks: 'link-up'/'link-down' when they run at `to`, about peer `from` (message is null).
 */
export interface NetworkTraceEvent {
  readonly time: number;
  readonly from: ServerId;
  readonly to: ServerId;
  readonly kind: 'send' | 'deliver' | 'drop' | 'link-up' | 'link-down';
  readonly message: unknown;
  readonly reason?: DropReason;
}

export type NetworkFilter = (from: ServerId, to: ServerId, message: unknown) => 'deliver' | 'drop';

/** Server ids are packed into one number per link; this bounds them. */
const MAX_SIM_SERVER_ID = 1 << 20;
const LINK_KEY_BASE = MAX_SIM_SERVER_ID + 1;

/** One direction of a link between two servers. Absent from the map means up and unused. */
interface DirectedLink {
  up: boolean;
  /** Bumped whenever the link goes down or an end detaches: in-flight messages carry the old one. */
  generation: number;
  /** Invariant: deliveries on this link are scheduled at non-decreasing times (FIFO). */
  lastDeliveryMs: number;
  /** With a bandwidth set: when the link finishes putting on the wire what it was given so far. */
  busyUntilMs: number;
}

/** One incarnation of an attached server: what its Transport reports to. */
class Endpoint {
  readonly messageListeners = new Listeners<[ServerId, unknown]>();
  readonly linkUpListeners = new Listeners<[ServerId]>();
  readonly linkDownListeners = new Listeners<[ServerId]>();
  attached = true;
  constructor(readonly sid: ServerId) {}
}

/**
 * Simulated DataChannels between servers. Each directed link is FIFO and reliable while up;
 * a cut loses what is in flight. Every message a server sends goes through the real codec
 * (`encodeMessage`) and arrives as that text, which the receiver decodes and validates as a
 * browser's would; one whose UTF-8 size is above the transport's limit (MAX_MESSAGE_BYTES) is
 * not delivered and is reported to `onOversized` (the cluster fails the run: a browser's
 * transport could not frame it). Filters, traces and `inject` see message objects.
 *
 * Channel model. Besides the two directions, each pair has a channel that is "open" as the ends
 * see it. Attaching opens channels to attached peers whose links are up both ways (both ends get
 * onLinkUp). A notified cut or a clean detach closes it (onLinkDown). A silent cut or a crash
 * tells no one: the ends must notice through heartbeats. restore/heal/restoreOneWay reopen a
 * closed channel once both directions are up (onLinkUp). Whether a message gets through depends
 * only on its direction being up and both ends attached, not on the channel being open.
 * Callbacks run as world events after a short delay, and only if the receiving incarnation is
 * still attached.
 */
export class SimNetwork {
  messagesSent = 0;
  messagesDelivered = 0;
  messagesDropped = 0;
  private readonly world: SimWorld;
  private readonly prng: Prng;
  private options: Required<SimNetworkOptions>;
  private readonly endpoints = new Map<ServerId, Endpoint>();
  private readonly links = new Map<number, DirectedLink>();
  /** Unordered pairs (key of min->max) whose channel is open. */
  private readonly openChannels = new Set<number>();
  private filter: NetworkFilter | null = null;
  private oversized: ((from: ServerId, to: ServerId, message: Message, bytes: number) => void) | null = null;
  private trace: ((event: NetworkTraceEvent) => void) | null = null;
  private bytesPerMs: number | null = null;

  constructor(world: SimWorld, prng: Prng, options: SimNetworkOptions) {
    const linkEventDelayMsMin = options.linkEventDelayMsMin ?? options.delayMsMin;
    const linkEventDelayMsMax = options.linkEventDelayMsMax ?? options.delayMsMax;
    assertDelayRange('delayMs', options.delayMsMin, options.delayMsMax);
    assertDelayRange('linkEventDelayMs', linkEventDelayMsMin, linkEventDelayMsMax);
    this.world = world;
    this.prng = prng;
    this.options = { ...options, linkEventDelayMsMin, linkEventDelayMsMax };
  }

  /**
   * Changes the delay of messages sent from now on (a congested network that calms down, or the
   * reverse). FIFO still holds: a message never overtakes one sent before it on its link.
   */
  setDelayRange(delayMsMin: number, delayMsMax: number): void {
    assertDelayRange('delayMs', delayMsMin, delayMsMax);
    this.options = { ...this.options, delayMsMin, delayMsMax };
  }

  /**
   * Gives every directed link a bandwidth (null: unlimited, the default). A message then holds its
   * link for its encoded length / `bytesPerMs` before its delay starts, and what is sent after it
   * waits: a DataChannel's head-of-line blocking, where a PING sent behind 20 MiB of SNAP arrives
   * only once the SNAP has gone through.
   */
  setBandwidth(bytesPerMs: number | null): void {
    assert(bytesPerMs === null || bytesPerMs > 0, () => `SimNetwork.setBandwidth: ${bytesPerMs} bytes/ms`);
    this.bytesPerMs = bytesPerMs;
  }

  /** Attaches a server (a start or a restart) and returns its Transport for this incarnation. */
  attach(sid: ServerId): Transport {
    assertServerId(sid);
    assert(!this.endpoints.has(sid), () => `SimNetwork.attach: server ${sid} is already attached`);
    const endpoint = new Endpoint(sid);
    this.endpoints.set(sid, endpoint);
    for (const peer of this.attachedPeersOf(sid)) this.maybeOpenChannel(sid, peer);
    return {
      send: (to: ServerId, message: Message) => this.send(endpoint, to, message),
      onMessage: (callback) => {
        if (endpoint.attached) endpoint.messageListeners.add(callback);
      },
      onLinkUp: (callback) => {
        if (endpoint.attached) endpoint.linkUpListeners.add(callback);
      },
      onLinkDown: (callback) => {
        if (endpoint.attached) endpoint.linkDownListeners.add(callback);
      },
    };
  }

  /**
   * The server is gone: its callbacks are dropped and everything in flight to or from it is
   * lost. With `notify` (a clean tab close) peers with an open channel get onLinkDown; without
   * (a crash, the default) they hear nothing.
   */
  detach(sid: ServerId, options: { notify?: boolean } = {}): void {
    const endpoint = this.endpoints.get(sid);
    assert(endpoint !== undefined, () => `SimNetwork.detach: server ${sid} is not attached`);
    endpoint.attached = false;
    this.endpoints.delete(sid);
    for (const [key, link] of this.links) {
      if (linkFrom(key) === sid || linkTo(key) === sid) link.generation++;
    }
    for (const peer of this.attachedPeersOf(sid)) {
      const channel = pairKey(sid, peer);
      if (!this.openChannels.delete(channel)) continue;
      if (options.notify === true) this.scheduleLinkEvent('link-down', peer, sid);
    }
    // Channels to detached peers were closed when those peers detached.
    for (const channel of this.openChannels) {
      assert(linkFrom(channel) !== sid && linkTo(channel) !== sid, () => `SimNetwork.detach: channel of ${sid} left open`);
    }
  }

  /** Cuts both directions between a and b; in-flight messages are lost. */
  cut(a: ServerId, b: ServerId, options: { notify: boolean }): void {
    assert(a !== b, () => `SimNetwork.cut: ${a} to itself`);
    this.setDown(a, b);
    this.setDown(b, a);
    if (options.notify && this.openChannels.delete(pairKey(a, b))) {
      this.scheduleLinkEvent('link-down', a, b);
      this.scheduleLinkEvent('link-down', b, a);
    }
  }

  /** Asymmetric fault: messages from -> to are silently lost (also those in flight). */
  cutOneWay(from: ServerId, to: ServerId): void {
    assert(from !== to, () => `SimNetwork.cutOneWay: ${from} to itself`);
    this.setDown(from, to);
  }

  /** Restores both directions; if the channel was closed and both ends are attached, reopens it. */
  restore(a: ServerId, b: ServerId): void {
    assert(a !== b, () => `SimNetwork.restore: ${a} to itself`);
    this.setUp(a, b);
    this.setUp(b, a);
    this.maybeOpenChannel(a, b);
  }

  restoreOneWay(from: ServerId, to: ServerId): void {
    assert(from !== to, () => `SimNetwork.restoreOneWay: ${from} to itself`);
    this.setUp(from, to);
    this.maybeOpenChannel(from, to);
  }

  /** Cuts every pair of servers in different groups. Servers in no group keep their links. */
  partition(groups: readonly (readonly ServerId[])[], options: { notify: boolean }): void {
    const seen = new Set<ServerId>();
    for (const group of groups) {
      for (const sid of group) {
        assert(!seen.has(sid), () => `SimNetwork.partition: server ${sid} is in two groups`);
        seen.add(sid);
      }
    }
    for (let i = 0; i < groups.length; i++) {
      for (let j = i + 1; j < groups.length; j++) {
        for (const a of groups[i] as readonly ServerId[]) {
          for (const b of groups[j] as readonly ServerId[]) this.cut(a, b, options);
        }
      }
    }
  }

  /** Restores every link and reopens every closed channel between attached servers. */
  heal(): void {
    for (const link of this.links.values()) link.up = true;
    const attached = this.attachedServers();
    for (let i = 0; i < attached.length; i++) {
      for (let j = i + 1; j < attached.length; j++) {
        this.maybeOpenChannel(attached[i] as ServerId, attached[j] as ServerId);
      }
    }
  }

  isUp(from: ServerId, to: ServerId): boolean {
    return this.links.get(linkKey(from, to))?.up ?? true;
  }

  isAttached(sid: ServerId): boolean {
    return this.endpoints.has(sid);
  }

  /** Attached servers in increasing id order. */
  attachedServers(): ServerId[] {
    return [...this.endpoints.keys()].sort((a, b) => a - b);
  }

  /** Applied to every `send` (not to `inject`): 'drop' loses the message. Null removes it. */
  setFilter(filter: NetworkFilter | null): void {
    this.filter = filter;
  }

  /** Delivers arbitrary data to `to` as if `from` had sent it, FIFO with that link. */
  inject(from: ServerId, to: ServerId, data: unknown): void {
    assertServerId(from);
    this.transmit(from, to, data);
  }

  /** Called for every send above the transport's size limit (the message is dropped). */
  onOversized(callback: (from: ServerId, to: ServerId, message: Message, bytes: number) => void): void {
    this.oversized = callback;
  }

  /** Sets (or with null removes) the one trace listener. No trace objects are built without one. */
  onTrace(callback: ((event: NetworkTraceEvent) => void) | null): void {
    this.trace = callback;
  }

  private send(endpoint: Endpoint, to: ServerId, message: Message): void {
    const from = endpoint.sid;
    assert(to !== from, () => `SimNetwork.send: server ${from} sent ${message.kind} to itself`);
    if (!endpoint.attached) {
      this.messagesSent++;
      this.emit('send', from, to, message);
      this.drop(from, to, message, 'detached');
      return;
    }
    if (this.filter !== null && this.filter(from, to, message) === 'drop') {
      this.messagesSent++;
      this.emit('send', from, to, message);
      this.drop(from, to, message, 'filter');
      return;
    }
    const wire = encodeMessage(message);
    // A JSON text of n UTF-16 units is at most 3n bytes of UTF-8: count exactly only near the limit.
    const bytes = wire.length * 3 <= MAX_MESSAGE_BYTES ? wire.length : utf8ByteLength(wire);
    if (bytes > MAX_MESSAGE_BYTES) {
      this.messagesSent++;
      this.emit('send', from, to, message);
      this.drop(from, to, message, 'oversized');
      this.oversized?.(from, to, message, bytes);
      return;
    }
    this.transmit(from, to, message, wire);
  }

  /** Sends on the directed link, checking only the link and the receiver. `wire`: what the receiver gets (the data itself if absent). */
  private transmit(from: ServerId, to: ServerId, data: unknown, wire: unknown = data): void {
    assertServerId(to);
    this.messagesSent++;
    this.emit('send', from, to, data);
    const link = this.linkOf(from, to);
    if (!link.up) return this.drop(from, to, data, 'link-down');
    if (!this.endpoints.has(to)) return this.drop(from, to, data, 'detached');
    const delayMs = this.prng.int(this.options.delayMsMin, this.options.delayMsMax);
    let sentMs = this.world.now;
    if (this.bytesPerMs !== null && typeof wire === 'string') {
      // UTF-16 units stand for bytes: exact for the ASCII of JSON, close enough for a bandwidth.
      sentMs = Math.max(sentMs, link.busyUntilMs) + Math.ceil(wire.length / this.bytesPerMs);
      link.busyUntilMs = sentMs;
    }
    const deliveryMs = Math.max(sentMs + delayMs, link.lastDeliveryMs);
    link.lastDeliveryMs = deliveryMs;
    const generation = link.generation;
    this.world.schedule(deliveryMs, () => this.deliver(link, generation, from, to, data, wire));
  }

  private deliver(link: DirectedLink, generation: number, from: ServerId, to: ServerId, data: unknown, wire: unknown): void {
    if (link.generation !== generation) return this.drop(from, to, data, 'lost-in-flight');
    const endpoint = this.endpoints.get(to);
    // Detaching bumps the generation, so the receiver is the incarnation the message was sent to.
    assert(endpoint !== undefined, () => `SimNetwork.deliver: ${from}->${to} delivered to a detached server`);
    assert(link.up, () => `SimNetwork.deliver: ${from}->${to} delivered on a down link`);
    this.messagesDelivered++;
    this.emit('deliver', from, to, data);
    endpoint.messageListeners.emit(from, wire);
  }

  private drop(from: ServerId, to: ServerId, data: unknown, reason: DropReason): void {
    this.messagesDropped++;
    if (this.trace !== null) this.trace({ time: this.world.now, from, to, kind: 'drop', message: data, reason });
  }

  private emit(kind: 'send' | 'deliver', from: ServerId, to: ServerId, data: unknown): void {
    if (this.trace !== null) this.trace({ time: this.world.now, from, to, kind, message: data });
  }

  /** Opens the a-b channel (onLinkUp at both ends) if it is closed, both ends are attached and both directions are up. */
  private maybeOpenChannel(a: ServerId, b: ServerId): void {
    const channel = pairKey(a, b);
    if (this.openChannels.has(channel)) return;
    if (!this.endpoints.has(a) || !this.endpoints.has(b)) return;
    if (!this.isUp(a, b) || !this.isUp(b, a)) return;
    this.openChannels.add(channel);
    this.scheduleLinkEvent('link-up', a, b);
    this.scheduleLinkEvent('link-up', b, a);
  }

  /** Schedules the link callback at `to` about `peer`, for the incarnation attached now. */
  private scheduleLinkEvent(kind: 'link-up' | 'link-down', to: ServerId, peer: ServerId): void {
    const endpoint = this.endpoints.get(to);
    if (endpoint === undefined) return;
    const delayMs = this.prng.int(this.options.linkEventDelayMsMin, this.options.linkEventDelayMsMax);
    this.world.scheduleAfter(delayMs, () => {
      if (!endpoint.attached) return;
      if (this.trace !== null) this.trace({ time: this.world.now, from: peer, to, kind, message: null });
      (kind === 'link-up' ? endpoint.linkUpListeners : endpoint.linkDownListeners).emit(peer);
    });
  }

  private setDown(from: ServerId, to: ServerId): void {
    assertServerId(from);
    assertServerId(to);
    const link = this.linkOf(from, to);
    if (!link.up) return;
    link.up = false;
    link.generation++;
  }

  private setUp(from: ServerId, to: ServerId): void {
    assertServerId(from);
    assertServerId(to);
    this.linkOf(from, to).up = true;
  }

  private linkOf(from: ServerId, to: ServerId): DirectedLink {
    const key = linkKey(from, to);
    let link = this.links.get(key);
    if (link === undefined) {
      link = { up: true, generation: 0, lastDeliveryMs: 0, busyUntilMs: 0 };
      this.links.set(key, link);
    }
    return link;
  }

  private attachedPeersOf(sid: ServerId): ServerId[] {
    return this.attachedServers().filter((peer) => peer !== sid);
  }
}

function assertServerId(sid: ServerId): void {
  assert(Number.isInteger(sid), () => `SimNetwork: server id ${sid} is not an integer`);
  assert(sid >= 0 && sid <= MAX_SIM_SERVER_ID, () => `SimNetwork: server id ${sid} out of [0, ${MAX_SIM_SERVER_ID}]`);
}

function assertDelayRange(name: string, min: number, max: number): void {
  assert(Number.isInteger(min) && min >= 0, () => `SimNetwork: ${name}Min ${min} must be an integer >= 0`);
  assert(Number.isInteger(max) && max >= min, () => `SimNetwork: ${name}Max ${max} must be an integer >= ${name}Min ${min}`);
}

function linkKey(from: ServerId, to: ServerId): number {
  return from * LINK_KEY_BASE + to;
}

function linkFrom(key: number): ServerId {
  return Math.floor(key / LINK_KEY_BASE);
}

function linkTo(key: number): ServerId {
  return key % LINK_KEY_BASE;
}

function pairKey(a: ServerId, b: ServerId): number {
  return a < b ? linkKey(a, b) : linkKey(b, a);
}
