import { frameScheduler } from './frame.ts';
import { categoryOf, kindOf, summarize, type Category } from './kinds.ts';

/** One message in the feed: from the live tab's tap, or from a replayed trace. */
export interface FeedEntry {
  readonly id: number;
  readonly timeMs: number;
  readonly from: number;
  readonly to: number;
  readonly kind: string;
  readonly category: Category;
  readonly summary: string;
  readonly message: unknown;
  /** Why it never arrived (a fault filter, a cut link), or null. */
  readonly dropped: string | null;
}

/** Most messages kept; the feed shows the newest that pass the filter. */
export const FEED_CAPACITY = 5000;
/** One row's height in px: the list draws only the rows in view (a fixed-height window), so streaming never shifts the layout. */
export const FEED_ROW_PX = 24;

/**
 * The message feed's store: every message goes into a bounded ring at once (cheap, not
 * reactive); what the page shows is published at most once per animation frame, so hundreds of
 * messages a second cost one render per frame. Paused: the ring keeps filling, the view holds.
 */
export class FeedStore {
  visible = $state.raw<FeedEntry[]>([]);
  paused = $state(false);
  hidden = $state<Record<Category, boolean>>({ election: false, discovery: false, sync: false, proposal: false, ack: false, commit: false, heartbeat: true, other: false });
  selected = $state.raw<FeedEntry | null>(null);
  total = $state(0);
  /** Messages per second over the last publish interval (what streams past, sampled for display). */
  rate = $state(0);
  /** Messages that arrived while paused (shown once resumed). */
  unseen = $state(0);
  private ring: FeedEntry[] = [];
  private nextId = 1;
  private added = 0;
  private lastPublishMs = 0;
  private addedWhilePaused = 0;
  private readonly schedule: () => void;

  /**
   * `schedule`: how a change asks to be published; by default at most 10 times a second on an
   * animation frame (the replay's feed). The live tab passes its model's scheduler, which gives
   * the feed its turn among the views (tab-model.svelte.ts).
   */
  constructor(schedule?: () => void) {
    this.schedule = schedule ?? frameScheduler(() => this.publish(), 100);
  }

  add(timeMs: number, from: number, to: number, message: unknown, dropped: string | null): FeedEntry {
    const kind = kindOf(message);
    const entry: FeedEntry = { id: this.nextId++, timeMs, from, to, kind, category: categoryOf(kind), summary: summarize(message), message, dropped };
    this.ring.push(entry);
    this.added++;
    if (this.paused) this.addedWhilePaused++;
    if (this.ring.length > FEED_CAPACITY * 1.25) this.ring = this.ring.slice(-FEED_CAPACITY);
    this.schedule();
    return entry;
  }

  /** Everything kept, oldest first. */
  entries(): readonly FeedEntry[] {
    return this.ring;
  }

  /** Replaces everything (a replay jumping in time). */
  reset(entries: readonly FeedEntry[]): void {
    this.ring = entries.slice(-FEED_CAPACITY);
    this.publish();
  }

  setPaused(paused: boolean): void {
    this.paused = paused;
    this.addedWhilePaused = 0;
    this.unseen = 0;
    if (!paused) this.publish();
  }

  toggle(category: Category): void {
    this.hidden[category] = !this.hidden[category];
    this.refilter();
  }

  /** Publishes the new filter at once, paused or not (the rows held are re-filtered). */
  private refilter(): void {
    const paused = this.paused;
    this.paused = false;
    this.publish();
    this.paused = paused;
  }

  /** Whether `publish` would draw something new (messages arrived, or the rate must fall back to 0). */
  get pending(): boolean {
    return this.added > 0 || this.rate > 0;
  }

  publish(): void {
    const now = performance.now();
    if (this.lastPublishMs > 0 && now > this.lastPublishMs) this.rate = Math.round((1000 * this.added) / (now - this.lastPublishMs));
    this.lastPublishMs = now;
    this.added = 0;
    this.total = this.ring.length;
    if (this.paused) {
      this.unseen = this.addedWhilePaused;
      return;
    }
    // Every kept entry that passes the filter, newest first; the view draws only the rows in view.
    const shown: FeedEntry[] = [];
    for (let index = this.ring.length - 1; index >= 0; index--) {
      const entry = this.ring[index]!;
      if (!this.hidden[entry.category]) shown.push(entry);
    }
    // Only heartbeats (hidden) arrived: the same rows, no new array, no re-render.
    if (shown.length !== this.visible.length || shown[0] !== this.visible[0] || shown[shown.length - 1] !== this.visible[this.visible.length - 1]) this.visible = shown;
    if (this.rate > 0 || this.added > 0) this.schedule(); // the rate falls back to 0 once the stream stops
  }
}
