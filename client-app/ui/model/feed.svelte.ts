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
/** Rows drawn at once: the list is a fixed-height window, so streaming never shifts the layout. */
export const FEED_ROWS = 150;

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
  private ring: FeedEntry[] = [];
  private nextId = 1;
  private readonly schedule = frameScheduler(() => this.publish(), 100);

  add(timeMs: number, from: number, to: number, message: unknown, dropped: string | null): FeedEntry {
    const kind = kindOf(message);
    const entry: FeedEntry = { id: this.nextId++, timeMs, from, to, kind, category: categoryOf(kind), summary: summarize(message), message, dropped };
    this.ring.push(entry);
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
    if (!paused) this.publish();
  }

  toggle(category: Category): void {
    this.hidden[category] = !this.hidden[category];
    this.publish();
  }

  publish(): void {
    this.total = this.ring.length;
    if (this.paused) return;
    const shown: FeedEntry[] = [];
    for (let index = this.ring.length - 1; index >= 0 && shown.length < FEED_ROWS; index--) {
      const entry = this.ring[index]!;
      if (!this.hidden[entry.category]) shown.push(entry);
    }
    this.visible = shown;
  }
}
