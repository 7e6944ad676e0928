import type { ServerReader } from '../../../core/ready.ts';
import { formatZxid, type Zxid } from '../../../core/zxid.ts';
import type { TabStatus } from '../../app/page-contract.ts';
import type { LogLine } from '../../app/log-ring.ts';
import type { TabApp } from '../../app/tab-app.ts';
import type { TabEvent } from '../../app/tab-events.ts';
import type { FaultSettings } from '../../transport/fault-filter.ts';
import { FeedStore } from './feed.svelte.ts';
import { frameScheduler } from './frame.ts';
import { categoryOf, kindOf } from './kinds.ts';
import { LogStore } from './log.svelte.ts';
import type { Pulse, SeatView } from './seats.ts';
import { machineSource, pathsOfEvents, TreeStore } from './tree.svelte.ts';

/** What this tab last learned of another seat from the protocol. */
interface Knowledge {
  state: string;
  epoch: number | null;
  lastZxid: string | null;
  heardAtMs: number;
  source: string;
}

/** How long a dot travels between two seats (a pace a person can follow). */
const PULSE_TRAVEL_MS = 600;
/**
 * A dot per link and kind of message at most this often; the messages between are counted into
 * the next one ("12× PROPOSAL"). As long as a dot travels: every dot is a layer of its own that
 * the page's main thread (the protocol's thread too) lays out on each frame, so under load the
 * ring holds one dot per link and kind, never a trail of them.
 */
const PULSE_GAP_MS = PULSE_TRAVEL_MS;
/**
 * The page publishes at most this often (20 frames a second), and each frame redraws at most one
 * of the views that draw many rows (PANELS), so each of them is redrawn up to 5 times a second:
 * smooth enough to follow, and no single frame holds the thread the protocol shares for long.
 * Under load the interval grows with what a frame costs (frame.ts).
 */
const PUBLISH_INTERVAL_MS = 50;
const TAB_LOG_LINES = 60;
/**
 * Knowledge older than this is shown as "not heard", with what it said and its age beside: a
 * follower hears only the leader (heartbeats go leader <-> learners), so what it last heard of
 * another follower (an election message, long ago) must not pass for its state now.
 */
const STALE_MS = 3000;

function zxidOf(value: unknown): string | null {
  if (typeof value === 'object' && value !== null && 'epoch' in value && 'counter' in value) return formatZxid(value as Zxid);
  return null;
}

/**
 * Everything the live page shows of this tab, fed by the tab's events (tab-events.ts) and
 * published at most once per animation frame. Views read its reactive fields; nothing polls.
 */
export class TabModel {
  status = $state.raw<TabStatus>();
  seats = $state.raw<SeatView[]>([]);
  faults = $state.raw<FaultSettings>({ cut: [], delayMs: 0, hung: false });
  pulses = $state.raw<Pulse[]>([]);
  tabLog = $state.raw<LogLine[]>([]);
  storageError = $state.raw<string | null>(null);
  /** Why the last message too large to send was refused (a bug: core cuts what it sends below the limit). */
  unsendableError = $state.raw<string | null>(null);
  /** The time of the last publish (ages of what was heard are relative to it). */
  nowMs = $state(Date.now());
  /** Published with the other views, in the same frame. */
  readonly feed = new FeedStore(() => this.schedule());
  readonly tree: TreeStore;
  readonly log = new LogStore();

  private readonly known = new Map<number, Knowledge>();
  /** Seats that held a tab at some point (an empty seat never did; a gone one did). */
  private readonly everSeen = new Set<number>();
  private readonly pendingPulses = new Map<string, { from: number; to: number; category: string; count: number; last: string }>();
  private readonly lastPulseAt = new Map<string, number>();
  /** When each dot on the ring arrives: an arrived dot leaves the page (and its layer with it). */
  private readonly pulseArrivals = new Map<number, number>();
  private nextPulseId = 1;
  private readonly schedule = frameScheduler(() => this.publish(), PUBLISH_INTERVAL_MS);
  /**
   * The views that redraw many rows, which take turns: one per frame. Redrawn together they took
   * one frame of ~25 ms (script, then layout and paint of hundreds of rows) on a two-core machine
   * showing three tabs, and a write arriving meanwhile waited that long.
   */
  private readonly panels: readonly { readonly pending: () => boolean; readonly publish: () => void }[] = [
    { pending: () => this.feed.pending, publish: () => this.feed.publish() },
    { pending: () => this.tree.pending, publish: () => this.tree.flush() },
    { pending: () => this.log.pending(this.server), publish: () => this.log.refresh(this.server) },
    { pending: () => this.tabLogPending(), publish: () => (this.tabLog = this.app.logLines.slice(-TAB_LOG_LINES).reverse()) },
  ];
  private turn = 0;
  private seatsKey = '';

  constructor(private readonly app: TabApp) {
    this.status = app.status();
    this.tree = new TreeStore(machineSource(() => app.zabNode?.inspect().machine ?? null));
    app.events.subscribe((event) => this.handle(event));
    this.publish();
  }

  private get server(): ServerReader | null {
    return this.app.zabNode?.inspect() ?? null;
  }

  private handle(event: TabEvent): void {
    switch (event.type) {
      case 'message':
        this.onMessage(event.dir, event.peer, event.message, event.timeMs, event.dropped);
        break;
      case 'applied':
        this.tree.touched(pathsOfEvents(event.applied.events));
        break;
      case 'server':
        if (event.event.kind === 'restored') {
          this.tree.replaced();
          this.log.note(`state restored at ${formatZxid(event.event.zxid)}`);
        }
        break;
      case 'changed':
      case 'log':
        break;
    }
    this.schedule();
  }

  private onMessage(dir: 'in' | 'out', peer: number, message: unknown, timeMs: number, dropped: string | null): void {
    const self = this.status?.seat ?? 0;
    const from = dir === 'out' ? self : peer;
    const to = dir === 'out' ? peer : self;
    this.feed.add(timeMs, from, to, message, dropped === null ? null : `dropped by this tab (${dropped})`);
    this.everSeen.add(peer);
    if (dropped === null) {
      this.addPulse(from, to, message);
      if (dir === 'in') this.learn(peer, message, timeMs);
      this.traceSync(dir, peer, message);
    }
  }

  private addPulse(from: number, to: number, message: unknown): void {
    const kind = kindOf(message);
    const category = categoryOf(kind);
    // Heartbeats flow every tick on every link: drawn, they would keep the page animating (and
    // the main thread busy) forever. Their news is in the cluster table's "heard" column.
    if (category === 'heartbeat') return;
    const key = `${from}>${to}>${category}`;
    const pending = this.pendingPulses.get(key);
    if (pending === undefined) this.pendingPulses.set(key, { from, to, category, count: 1, last: kind });
    else {
      pending.count++;
      pending.last = kind;
    }
  }

  /** What a message says of its sender (heartbeats carry a status; election and discovery imply one). */
  private learn(peer: number, message: unknown, timeMs: number): void {
    const m = message as Record<string, unknown>;
    const kind = kindOf(message);
    const before = this.known.get(peer);
    const set = (state: string, epoch: number | null, lastZxid: string | null, source: string) =>
      this.known.set(peer, { state, epoch: epoch ?? before?.epoch ?? null, lastZxid: lastZxid ?? before?.lastZxid ?? null, heardAtMs: timeMs, source });
    const rank = m.rank as { currentEpoch?: number; lastZxid?: unknown } | undefined;
    switch (kind) {
      case 'PING':
      case 'PONG': {
        const status = m.status as { state?: string; epoch?: number; lastZxid?: unknown } | undefined;
        if (status?.state !== undefined) set(status.state, status.epoch ?? null, zxidOf(status.lastZxid), 'heartbeat');
        else if (before !== undefined) before.heardAtMs = timeMs;
        break;
      }
      case 'election':
        set('LOOKING', rank?.currentEpoch ?? null, zxidOf(rank?.lastZxid), 'election');
        break;
      case 'coordinator':
        if (m.leading === true) set('LEADING', rank?.currentEpoch ?? null, zxidOf(rank?.lastZxid), 'election');
        break;
      case 'FOLLOWERINFO':
        set(m.observer === true ? 'OBSERVING' : 'FOLLOWING', typeof m.currentEpoch === 'number' ? m.currentEpoch : null, zxidOf(m.lastZxid), 'discovery');
        break;
      case 'NEWEPOCH':
        set('LEADING', null, null, 'discovery');
        break;
      case 'transaction_acknowledge':
        if (before !== undefined) {
          before.lastZxid = zxidOf(m.zxid) ?? before.lastZxid;
          before.heardAtMs = timeMs;
        }
        break;
      default:
        if (before !== undefined) before.heardAtMs = timeMs;
    }
  }

  /** How entries reached this log (DIFF, TRUNC, SNAP, proposals), and what the leader sent whom. */
  private traceSync(dir: 'in' | 'out', peer: number, message: unknown): void {
    const m = message as Record<string, unknown>;
    const kind = kindOf(message);
    if (dir === 'out') {
      if (kind === 'DIFF' || kind === 'TRUNC' || kind === 'SNAP') {
        const detail = kind === 'DIFF' ? `${Array.isArray(m.proposals) ? m.proposals.length : 0} entries after ${zxidOf(m.prevZxid)}` : kind === 'TRUNC' ? `to ${zxidOf(m.zxid)}` : `at ${zxidOf(m.zxid)}`;
        this.log.note(`sent ${kind} to ${peer}: ${detail}`);
      }
      return;
    }
    switch (kind) {
      case 'DIFF': {
        const proposals = Array.isArray(m.proposals) ? (m.proposals as { zxid?: unknown }[]) : [];
        const zxids = proposals.map((proposal) => zxidOf(proposal.zxid)).filter((zxid): zxid is string => zxid !== null);
        this.log.markOrigin(zxids, 'DIFF');
        this.log.note(`DIFF from ${peer}: ${zxids.length} entries after ${zxidOf(m.prevZxid)}`);
        break;
      }
      case 'TRUNC':
        this.log.note(`TRUNC from ${peer}: log cut back to ${zxidOf(m.zxid)}`);
        break;
      case 'SNAP':
        this.log.note(`SNAP from ${peer}: snapshot at ${zxidOf(m.zxid)} replaces the state`);
        break;
      case 'transaction_proposal':
      case 'inform': {
        const zxid = zxidOf((m.proposal as { zxid?: unknown } | undefined)?.zxid);
        if (zxid !== null) this.log.markOrigin([zxid], kind === 'inform' ? 'inform' : 'proposal');
        break;
      }
    }
  }

  /** Re-reads the cheap parts of the tab and publishes everything that changed since the last frame. */
  private publish(): void {
    const now = Date.now();
    this.nowMs = Math.floor(now / 500) * 500; // ages shown to half a second: fewer re-renders
    const status = this.app.status();
    this.status = status;
    this.storageError = this.app.storageError;
    this.unsendableError = this.app.unsendableError;
    this.faults = this.app.faults?.settings ?? { cut: [], delayMs: 0, hung: false };
    // No new array when nothing changed: no re-render.
    const seats = this.computeSeats(status, this.nowMs);
    const seatsKey = JSON.stringify(seats);
    if (seatsKey !== this.seatsKey) {
      this.seatsKey = seatsKey;
      this.seats = seats;
    }
    this.publishPulses(now);
    for (let tried = 0; tried < this.panels.length; tried++) {
      const panel = this.panels[this.turn]!;
      this.turn = (this.turn + 1) % this.panels.length;
      if (panel.pending()) {
        panel.publish();
        break;
      }
    }
    if (this.panels.some((panel) => panel.pending())) this.schedule();
  }

  private tabLogPending(): boolean {
    const logs = this.app.logLines;
    return logs.length > 0 && logs[logs.length - 1] !== this.tabLog[0];
  }

  private publishPulses(now: number): void {
    const fresh: Pulse[] = [];
    for (const [key, pending] of this.pendingPulses) {
      const last = this.lastPulseAt.get(key) ?? 0;
      if (now - last < PULSE_GAP_MS) continue; // keep counting into the next dot
      this.pendingPulses.delete(key);
      this.lastPulseAt.set(key, now);
      const pulse: Pulse = { id: this.nextPulseId++, from: pending.from, to: pending.to, category: pending.category, count: pending.count, label: pending.count > 1 ? `${pending.count}× ${pending.last}` : pending.last, durationMs: PULSE_TRAVEL_MS };
      this.pulseArrivals.set(pulse.id, now + PULSE_TRAVEL_MS);
      fresh.push(pulse);
    }
    const travelling: Pulse[] = [];
    for (const pulse of this.pulses) {
      if ((this.pulseArrivals.get(pulse.id) ?? 0) > now) travelling.push(pulse);
      else this.pulseArrivals.delete(pulse.id);
    }
    // Held-back dots go out, and arrived ones leave, on a later frame.
    if (this.pendingPulses.size > 0 || this.pulseArrivals.size > 0) this.schedule();
    if (fresh.length > 0 || travelling.length !== this.pulses.length) this.pulses = [...travelling, ...fresh];
  }

  private computeSeats(status: TabStatus, now: number): SeatView[] {
    const self = status.seat;
    const size = status.size;
    const present = new Set(this.app.presentPeers());
    const open = new Set(status.peers);
    const cut = new Set(this.faults.cut);
    for (const seat of present) this.everSeen.add(seat);
    const observers = new Set<number>();
    for (const seat of [...present, ...this.everSeen, ...(self === null ? [] : [self])]) if (size > 0 && seat > size) observers.add(seat);
    const seats = [...Array.from({ length: size }, (_, index) => index + 1), ...[...observers].sort((a, b) => a - b)];
    return seats.map((seat): SeatView => {
      const observer = size > 0 && seat > size;
      if (seat === self) {
        return {
          seat,
          observer,
          self: true,
          state: status.state,
          epoch: status.currentEpoch,
          lastZxid: status.lastZxid,
          committedZxid: status.committedZxid,
          leader: status.leader === seat,
          link: 'self',
          heardAtMs: now,
          source: 'own',
        };
      }
      const link: SeatView['link'] = cut.has(seat) ? 'cut' : open.has(seat) ? 'open' : present.has(seat) ? 'connecting' : this.everSeen.has(seat) ? 'gone' : 'empty';
      const knowledge = this.known.get(seat);
      const stale = knowledge !== undefined && now - knowledge.heardAtMs > STALE_MS;
      const state = link === 'empty' ? 'empty' : knowledge === undefined || stale ? 'unknown' : knowledge.state;
      return {
        seat,
        observer,
        self: false,
        state,
        epoch: knowledge?.epoch ?? null,
        lastZxid: knowledge?.lastZxid ?? null,
        committedZxid: null,
        leader: status.leader === seat && link !== 'gone',
        link,
        heardAtMs: knowledge?.heardAtMs ?? null,
        source: knowledge === undefined ? 'none' : stale ? `last ${knowledge.state} (${knowledge.source})` : knowledge.source,
      };
    });
  }

  // ---------------------------------------------------------------- actions

  cut(seat: number): void {
    this.app.faults?.cut(seat);
  }

  restore(seat: number): void {
    this.app.faults?.restore(seat);
  }

  setDelay(ms: number): void {
    this.app.faults?.setDelay(ms);
  }

  setHung(hung: boolean): void {
    this.app.faults?.setHung(hung);
  }

  async watch(path: string): Promise<boolean> {
    const set = await this.app.watch(path, (type) => {
      this.tree.markWatched(path, false);
      this.log.note(`watch on ${path} fired: ${type}`);
      this.schedule();
    });
    if (set) this.tree.markWatched(path, true);
    return set;
  }
}
