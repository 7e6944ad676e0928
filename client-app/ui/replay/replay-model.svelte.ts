import type { SimTrace, TraceEvent, TraceLogEntry, TraceStatus, TraceZnode } from '../../../core/trace-format.ts';
import { FeedStore, FEED_CAPACITY } from '../model/feed.svelte.ts';
import { categoryOf, kindOf, summarize } from '../model/kinds.ts';
import { describeTxn, LOG_ROWS, type LogPicture, type LogRow } from '../model/log.svelte.ts';
import type { Pulse, SeatView } from '../model/seats.ts';
import { TreeStore, type TreeSource, type ZNodeRead } from '../model/tree.svelte.ts';

/** What the replay knows at one point of the trace: each server's state, log and sync history. */
interface Folded {
  readonly statuses: Map<number, TraceStatus | null>;
  readonly logs: Map<number, readonly TraceLogEntry[]>;
  readonly notes: Map<number, readonly string[]>;
  /** Each server's applied state (its data tree, or its keys), path -> node; changed in place by `apply`. */
  readonly trees: Map<number, Map<string, TraceZnode>>;
  lastNote: string | null;
}

function emptyFolded(): Folded {
  return { statuses: new Map(), logs: new Map(), notes: new Map(), trees: new Map(), lastNote: null };
}

/**
 * A replayed server's tree, read from the folded state at the playhead; children are listed
 * from the paths (an index rebuilt only when the set of paths changed).
 */
class FoldedTreeSource implements TreeSource {
  private nodes: ReadonlyMap<string, TraceZnode> | null = null;
  private children = new Map<string, string[]>();

  constructor(readonly sid: number) {}

  /** Points at the playhead's tree; `reindex` when paths came or went. */
  show(nodes: ReadonlyMap<string, TraceZnode> | undefined, reindex: boolean): void {
    this.nodes = nodes ?? null;
    if (!reindex) return;
    this.children = new Map();
    for (const path of this.nodes?.keys() ?? []) {
      if (path === '/') continue;
      const cut = path.lastIndexOf('/');
      const parent = cut === 0 ? '/' : path.slice(0, cut);
      const list = this.children.get(parent);
      if (list === undefined) this.children.set(parent, [path.slice(cut + 1)]);
      else list.push(path.slice(cut + 1));
    }
    for (const list of this.children.values()) list.sort();
  }

  available(): boolean {
    return this.nodes !== null && this.nodes.size > 0;
  }

  read(path: string): ZNodeRead | null {
    const node = this.nodes?.get(path);
    if (node === undefined) return null;
    return { data: node.data, stat: node.stat, children: this.children.get(path) ?? [] };
  }
}

/** A named moment of the trace, to jump to (RaftScope's checkpoints, The Secret Lives of Data's captions). */
export interface Moment {
  /** Events applied once the moment has happened. */
  readonly index: number;
  readonly t: number;
  readonly text: string;
  readonly kind: 'fault' | 'leader' | 'down' | 'sync' | 'note';
}

/** The model folds from a saved copy every this many events, so time travel costs at most this many steps. */
const CHECKPOINT_EVERY = 256;
const NOTES_KEPT = 6;
const MOMENTS_KEPT = 600;
const PULSES_KEPT = 40;
export const SPEEDS = [0.02, 0.05, 0.1, 0.25, 0.5, 1] as const;

function cloneFolded(folded: Folded): Folded {
  const trees = new Map([...folded.trees].map(([sid, tree]) => [sid, new Map(tree)] as const));
  return { statuses: new Map(folded.statuses), logs: new Map(folded.logs), notes: new Map(folded.notes), trees, lastNote: folded.lastNote };
}

function compareZxidText(a: string, b: string): number {
  const [ae, ac] = a.split(':').map(Number);
  const [be, bc] = b.split(':').map(Number);
  return ae! - be! || ac! - bc!;
}

function zxidText(value: unknown): string {
  const zxid = value as { epoch?: number; counter?: number } | undefined;
  return zxid?.epoch === undefined ? '?' : `${zxid.epoch}:${zxid.counter}`;
}

/** A sync message delivered to `to`, as a line of its sync history; null for other kinds. */
function syncNote(event: Extract<TraceEvent, { type: 'message' }>): string | null {
  const m = event.message as Record<string, unknown> | null;
  if (m === null || typeof m !== 'object') return null;
  switch (m.kind) {
    case 'DIFF':
      return `DIFF from ${event.from}: ${Array.isArray(m.proposals) ? m.proposals.length : 0} entries after ${zxidText(m.prevZxid)}`;
    case 'TRUNC':
      return `TRUNC from ${event.from}: log cut back to ${zxidText(m.zxid)}`;
    case 'SNAP':
      return `SNAP from ${event.from}: snapshot at ${zxidText(m.zxid)}`;
    default:
      return null;
  }
}

function isHeartbeat(event: TraceEvent): boolean {
  return event.type === 'message' && (kindOf(event.message) === 'PING' || kindOf(event.message) === 'PONG');
}

/**
 * A simulator trace replayed in the app's views: every server side by side, play / pause /
 * step / speed, and time travel over checkpoints. The picture is a function of `index` (how many
 * events are applied), as RaftScope's is of its model snapshot.
 */
export class ReplayModel {
  index = $state(0);
  playing = $state(false);
  speed = $state<number>(0.05);
  seats = $state.raw<SeatView[]>([]);
  logs = $state.raw<{ sid: number; picture: LogPicture; status: TraceStatus | null }[]>([]);
  pulses = $state.raw<Pulse[]>([]);
  lastNote = $state<string | null>(null);
  readonly feed = new FeedStore();
  /** Each server's data tree at the playhead (the same view as a live tab's), by sid. */
  readonly trees: ReadonlyMap<number, TreeStore>;
  /** Whether the trace records trees at all (version 1 traces do not). */
  readonly hasTrees: boolean;
  private readonly treeSources = new Map<number, FoldedTreeSource>();
  /** Paths changed per server since the last publish, and servers whose set of paths changed. */
  private readonly treeChanges = new Map<number, Set<string>>();
  private readonly treeReindex = new Set<number>();
  readonly moments: readonly Moment[];
  readonly sids: readonly number[];
  private folded: Folded;
  private readonly checkpoints: Folded[] = [];
  private nextPulseId = 1;
  private frame: number | null = null;
  private lastFrameMs = 0;
  /** Simulated time of the playhead while playing (between events). */
  private playTime = 0;

  constructor(readonly trace: SimTrace) {
    this.sids = Array.from({ length: trace.voters + trace.observers }, (_, index) => index + 1);
    this.feed.hidden.heartbeat = true;
    const trees = new Map<number, TreeStore>();
    for (const sid of this.sids) {
      const source = new FoldedTreeSource(sid);
      this.treeSources.set(sid, source);
      trees.set(sid, new TreeStore(source));
    }
    this.trees = trees;
    this.hasTrees = trace.events.some((event) => event.type === 'tree');
    const empty = emptyFolded();
    // One pass: checkpoints and moments.
    const moments: Moment[] = [];
    let folded = cloneFolded(empty);
    for (let index = 0; index < trace.events.length; index++) {
      if (index % CHECKPOINT_EVERY === 0) this.checkpoints.push(cloneFolded(folded));
      const event = trace.events[index]!;
      const moment = this.momentOf(event, folded, index + 1);
      if (moment !== null && moments.length < MOMENTS_KEPT) moments.push(moment);
      this.apply(folded, event);
    }
    this.moments = moments;
    this.folded = cloneFolded(empty);
    this.publish([], true);
  }

  get length(): number {
    return this.trace.events.length;
  }

  /** Simulated time at the playhead. */
  get timeMs(): number {
    return this.index === 0 ? 0 : this.trace.events[this.index - 1]!.t;
  }

  private momentOf(event: TraceEvent, before: Folded, index: number): Moment | null {
    switch (event.type) {
      case 'note':
        // Every note but the run's opening summary: faults, restarts, the liveness phase.
        return event.text.startsWith('SEED=') ? null : { index, t: event.t, text: event.text, kind: event.text.startsWith('start') ? 'note' : 'fault' };
      case 'status': {
        const old = before.statuses.get(event.sid);
        if (event.status === null) return old ? { index, t: event.t, text: `S${event.sid} down`, kind: 'down' } : null;
        if (event.status.state === 'LEADING' && event.status.serving && !(old?.state === 'LEADING' && old.serving)) {
          return { index, t: event.t, text: `S${event.sid} leads epoch ${event.status.epoch}`, kind: 'leader' };
        }
        return null;
      }
      case 'message': {
        if (event.fate !== 'deliver') return null;
        const kind = kindOf(event.message);
        if (kind !== 'TRUNC' && kind !== 'SNAP') return null;
        const m = event.message as Record<string, unknown>;
        return { index, t: event.t, text: kind === 'TRUNC' ? `S${event.to} TRUNCated to ${zxidText(m.zxid)}` : `S${event.to} got a SNAP at ${zxidText(m.zxid)}`, kind: 'sync' };
      }
      default:
        return null;
    }
  }

  private apply(folded: Folded, event: TraceEvent): void {
    switch (event.type) {
      case 'status':
        folded.statuses.set(event.sid, event.status);
        break;
      case 'log':
        folded.logs.set(event.sid, [...(folded.logs.get(event.sid) ?? []), ...event.append].slice(-200));
        break;
      case 'log-reset':
        folded.logs.set(event.sid, event.entries.slice(-200));
        break;
      case 'note':
        folded.lastNote = event.text;
        break;
      case 'tree': {
        let tree = folded.trees.get(event.sid);
        if (tree === undefined) folded.trees.set(event.sid, (tree = new Map()));
        const changed = this.treeChanges.get(event.sid) ?? new Set<string>();
        this.treeChanges.set(event.sid, changed);
        for (const path of event.remove) {
          tree.delete(path);
          changed.add(path);
          this.treeReindex.add(event.sid);
        }
        for (const node of event.set) {
          if (!tree.has(node.path)) this.treeReindex.add(event.sid);
          tree.set(node.path, node);
          changed.add(node.path);
        }
        break;
      }
      case 'message': {
        if (event.fate !== 'deliver') break;
        const note = syncNote(event);
        if (note !== null) folded.notes.set(event.to, [...(folded.notes.get(event.to) ?? []).slice(-(NOTES_KEPT - 1)), note]);
        break;
      }
    }
  }

  // ---------------------------------------------------------------- moving the playhead

  /** Jumps to `target` events applied (time travel: from the nearest checkpoint). */
  seek(target: number): void {
    const index = Math.max(0, Math.min(this.length, Math.round(target)));
    if (index >= this.index && index - this.index <= CHECKPOINT_EVERY) {
      this.forward(index, false);
      return;
    }
    const checkpoint = Math.floor(index / CHECKPOINT_EVERY);
    const base = this.checkpoints[Math.min(checkpoint, this.checkpoints.length - 1)];
    const folded = base === undefined ? emptyFolded() : cloneFolded(base);
    for (let at = Math.min(checkpoint, this.checkpoints.length - 1) * CHECKPOINT_EVERY; at < index; at++) this.apply(folded, this.trace.events[at]!);
    this.folded = folded;
    this.index = index;
    this.playTime = this.timeMs;
    this.rebuildFeed();
    this.pulses = [];
    this.publish([], true);
  }

  /** Applies events up to `target`, drawing their messages if `animate`. */
  private forward(target: number, animate: boolean): void {
    const delivered: Extract<TraceEvent, { type: 'message' }>[] = [];
    for (let at = this.index; at < target; at++) {
      const event = this.trace.events[at]!;
      this.apply(this.folded, event);
      if (event.type === 'message') {
        this.feed.add(event.t, event.from, event.to, event.message, event.fate === 'drop' ? `dropped (${event.reason ?? 'lost'})` : null);
        if (event.fate === 'deliver') delivered.push(event);
      }
    }
    this.index = target;
    this.publish(animate ? delivered : []);
  }

  /** The next event that is not a heartbeat (heartbeats alone change nothing a person follows). */
  step(): void {
    this.pause();
    let target = this.index + 1;
    while (target < this.length && isHeartbeat(this.trace.events[target - 1]!)) target++;
    this.forward(Math.min(target, this.length), true);
    this.playTime = this.timeMs;
  }

  stepBack(): void {
    this.pause();
    let target = this.index - 1;
    while (target > 0 && isHeartbeat(this.trace.events[target - 1]!)) target--;
    this.seek(Math.max(0, target));
  }

  play(): void {
    if (this.playing) return;
    if (this.index >= this.length) this.seek(0);
    this.playing = true;
    this.playTime = this.timeMs;
    this.lastFrameMs = performance.now();
    const tick = (now: number) => {
      if (!this.playing) return;
      const elapsed = Math.min(250, now - this.lastFrameMs);
      this.lastFrameMs = now;
      this.playTime += elapsed * this.speed;
      let target = this.index;
      while (target < this.length && this.trace.events[target]!.t <= this.playTime) target++;
      if (target > this.index) this.forward(target, true);
      if (this.index >= this.length) {
        this.pause();
        return;
      }
      this.frame = requestAnimationFrame(tick);
    };
    this.frame = requestAnimationFrame(tick);
  }

  pause(): void {
    this.playing = false;
    if (this.frame !== null) cancelAnimationFrame(this.frame);
    this.frame = null;
  }

  toggle(): void {
    if (this.playing) this.pause();
    else this.play();
  }

  // ---------------------------------------------------------------- the picture

  private rebuildFeed(): void {
    const entries: { t: number; from: number; to: number; message: unknown; dropped: string | null }[] = [];
    for (let at = this.index - 1; at >= 0 && entries.length < FEED_CAPACITY; at--) {
      const event = this.trace.events[at]!;
      if (event.type === 'message') entries.push({ t: event.t, from: event.from, to: event.to, message: event.message, dropped: event.fate === 'drop' ? `dropped (${event.reason ?? 'lost'})` : null });
    }
    const store = new FeedStore();
    for (const entry of entries.reverse()) store.add(entry.t, entry.from, entry.to, entry.message, entry.dropped);
    // Same ids and shapes as live entries; reset keeps this feed's filters and selection.
    this.feed.reset(store.entries());
  }

  private publish(delivered: readonly Extract<TraceEvent, { type: 'message' }>[], jumped = false): void {
    const folded = this.folded;
    this.publishTrees(jumped);
    this.lastNote = folded.lastNote;
    this.seats = this.sids.map((sid): SeatView => {
      const status = folded.statuses.get(sid) ?? null;
      return {
        seat: sid,
        observer: sid > this.trace.voters,
        self: false,
        state: status === null ? 'DOWN' : status.state,
        epoch: status?.epoch ?? null,
        lastZxid: status?.lastZxid ?? null,
        committedZxid: status?.committedZxid ?? null,
        leader: status !== null && status.state === 'LEADING' && status.serving,
        link: 'sim',
        heardAtMs: null,
        source: 'trace',
      };
    });
    this.logs = this.sids.map((sid) => {
      const status = folded.statuses.get(sid) ?? null;
      return { sid, status, picture: this.logPicture(sid, status) };
    });
    if (delivered.length > 0) {
      const fresh: Pulse[] = delivered
        .filter((event) => !isHeartbeat(event) || delivered.length < 6)
        .slice(-PULSES_KEPT)
        .map((event) => {
          const kind = kindOf(event.message);
          return {
            id: this.nextPulseId++,
            from: event.from,
            to: event.to,
            category: categoryOf(kind),
            count: 1,
            label: summarize(event.message).split(' ')[0]!,
            durationMs: Math.max(250, Math.min(2500, (event.t - event.sentAt) / this.speed)),
          };
        });
      this.pulses = [...this.pulses, ...fresh].slice(-PULSES_KEPT);
    }
  }

  /** After steps: the changed paths are re-read (and flash); after a jump: every tree is re-read. */
  private publishTrees(jumped: boolean): void {
    for (const sid of this.sids) {
      const source = this.treeSources.get(sid)!;
      const store = this.trees.get(sid)!;
      source.show(this.folded.trees.get(sid), jumped || this.treeReindex.has(sid));
      if (jumped) store.replaced();
      else store.touched(parentsToo(this.treeChanges.get(sid) ?? []));
      store.flush();
    }
    this.treeChanges.clear();
    this.treeReindex.clear();
  }

  private logPicture(sid: number, status: TraceStatus | null): LogPicture {
    const entries = this.folded.logs.get(sid) ?? [];
    const committed = status?.committedZxid ?? '0:0';
    const rows: LogRow[] = entries.slice(-LOG_ROWS).map((entry) => ({
      zxid: entry.zxid,
      epoch: Number(entry.zxid.split(':')[0]),
      txn: describeTxn({ type: entry.txn.type === 'sync' || entry.txn.type === 'seats' ? entry.txn.type : 'op', op: entry.txn.op }),
      committed: compareZxidText(entry.zxid, committed) <= 0,
      origin: null,
    }));
    return {
      rows,
      total: entries.length,
      baseZxid: status?.baseZxid ?? '0:0',
      snapshotZxid: status?.snapshotZxid ?? '0:0',
      committedZxid: committed,
      lastZxid: status?.lastZxid ?? '0:0',
      syncNotes: this.folded.notes.get(sid) ?? [],
    };
  }
}

/** Paths and their parents (a parent's children changed when a child came or went). */
function parentsToo(paths: Iterable<string>): Set<string> {
  const all = new Set<string>();
  for (const path of paths) {
    all.add(path);
    if (path !== '/') {
      const cut = path.lastIndexOf('/');
      all.add(cut === 0 ? '/' : path.slice(0, cut));
    }
  }
  return all;
}
