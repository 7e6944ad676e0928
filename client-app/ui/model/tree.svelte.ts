import type { StateReader } from '../../../core/ready.ts';
import type { Stat } from '../../../core/tree/index.ts';
import { digest64 } from '../../../core/tree/digest.ts';
import { parentPath } from '../../../core/tree/index.ts';

/** ZooKeeper appends a 10-digit counter to a sequential node's name. */
const SEQUENTIAL_SUFFIX = /\d{10}$/;

/**
 * One znode as the page shows it, each field its own reactive state: a commit that changes one
 * node re-renders that node's row, not the tree.
 */
export class ZNodeView {
  exists = $state(false);
  data = $state('');
  stat = $state.raw<Stat | null>(null);
  children = $state.raw<string[]>([]);
  expanded = $state(false);
  watched = $state(false);
  /** Bumped on each change, for a brief highlight. */
  changes = $state(0);

  constructor(
    readonly path: string,
    readonly name: string,
  ) {}

  get ephemeral(): boolean {
    return this.stat?.ephemeralOwner != null;
  }

  get sequential(): boolean {
    return SEQUENTIAL_SUFFIX.test(this.name);
  }
}

/** One znode as a source reports it; a source without stats (a key-value machine) gives stat null. */
export interface ZNodeRead {
  readonly data: string;
  readonly stat: Stat | null;
  readonly children: readonly string[];
}

/** Where a tree's nodes are read from: null when there is no such node (or nothing to read yet). */
export interface TreeSource {
  available(): boolean;
  read(path: string): ZNodeRead | null;
}

/** The live tab's committed copy: its state machine, through `query` (never mutated here). */
export function machineSource(machine: () => StateReader | null): TreeSource {
  return {
    available: () => machine() !== null,
    read(path) {
      const current = machine();
      if (current === null) return null;
      const read = current.query({ type: 'getData', path });
      if (!read.ok) return null;
      const listed = current.query({ type: 'getChildren', path });
      const value = read.value as { data: string; stat: Stat };
      return { data: value.data, stat: value.stat, children: listed.ok ? (listed.value as { children: string[] }).children : [] };
    },
  };
}

/**
 * A data tree as the page shows it, read lazily: a node is read when it is first shown, and
 * re-read only when an applied txn named it (its watch events: created, deleted, data or
 * children changed) or the whole state was replaced (a snapshot restored or SNAP received).
 * Txns only mark paths dirty (a Set insert on the write path); `flush`, called when the page
 * publishes and the tree's turn comes (a few times a second at most), re-reads them once however many txns touched them.
 */
export class TreeStore {
  /** False until the source has a state to read. */
  ready = $state(false);
  /**
   * A fingerprint of every znode (path, data, version, cversion, owner), kept up to date as txns
   * apply: each node's hash is added into two 32-bit sums, so a change subtracts the node's old
   * hash and adds its new one, and nothing walks or stringifies the tree after the first read.
   * Tabs with equal trees show equal digests.
   */
  digest = $state('');
  private readonly nodes = new Map<string, ZNodeView>();
  private readonly hashes = new Map<string, readonly [number, number]>();
  private readonly dirty = new Set<string>();
  private reloadPending = false;
  private sumA = 0;
  private sumB = 0;

  constructor(private readonly source: TreeSource) {}

  /** The view of `path`, read on first use. */
  node(path: string): ZNodeView {
    let view = this.nodes.get(path);
    if (view === undefined) {
      view = new ZNodeView(path, path === '/' ? '/' : path.slice(path.lastIndexOf('/') + 1));
      view.expanded = path === '/'; // the root starts open: its children are what a person looks for first
      this.nodes.set(path, view);
      this.read(view);
    }
    return view;
  }

  /** Paths named by the watch events of applied txns: read again at the next flush. */
  touched(paths: Iterable<string>): void {
    for (const path of paths) this.dirty.add(path);
  }

  /** The whole state was replaced: every node is read again at the next flush. */
  replaced(): void {
    this.reloadPending = true;
    this.dirty.clear();
  }

  /** Whether a flush has anything to do. */
  get pending(): boolean {
    return this.reloadPending || this.dirty.size > 0 || (!this.ready && this.source.available());
  }

  /** Applies what changed since the last flush to the views and the digest. */
  flush(): void {
    if (this.reloadPending || (!this.ready && this.source.available())) {
      this.reloadPending = false;
      this.reloadAll();
      return;
    }
    if (this.dirty.size === 0) return;
    const paths = [...this.dirty];
    this.dirty.clear();
    for (const path of paths) {
      this.rehash(path);
      const view = this.nodes.get(path);
      if (view !== undefined) {
        this.read(view);
        view.changes++;
      }
    }
    this.publishDigest();
  }

  /** Re-reads every node shown, and digests the whole tree once. */
  private reloadAll(): void {
    this.ready = this.source.available();
    this.dirty.clear();
    for (const view of this.nodes.values()) this.read(view);
    this.hashes.clear();
    this.sumA = 0;
    this.sumB = 0;
    const pending = ['/'];
    while (pending.length > 0) {
      const path = pending.pop()!;
      for (const child of this.rehash(path)) pending.push(path === '/' ? `/${child}` : `${path}/${child}`);
    }
    this.publishDigest();
  }

  /** Replaces `path`'s share of the digest by its current one; returns its children. */
  private rehash(path: string): readonly string[] {
    const old = this.hashes.get(path);
    if (old !== undefined) {
      this.sumA = (this.sumA - old[0]) >>> 0;
      this.sumB = (this.sumB - old[1]) >>> 0;
      this.hashes.delete(path);
    }
    const read = this.source.read(path);
    if (read === null) return [];
    const stat = read.stat;
    const hex = digest64(`${path}\u0000${read.data}\u0000${stat?.version ?? ''}\u0000${stat?.cversion ?? ''}\u0000${stat?.ephemeralOwner ?? ''}`);
    const hash = [parseInt(hex.slice(0, 8), 16), parseInt(hex.slice(8), 16)] as const;
    this.hashes.set(path, hash);
    this.sumA = (this.sumA + hash[0]) >>> 0;
    this.sumB = (this.sumB + hash[1]) >>> 0;
    return read.children;
  }

  private publishDigest(): void {
    if (this.hashes.size === 0) {
      this.digest = '';
      return;
    }
    this.digest = this.sumA.toString(16).padStart(8, '0') + this.sumB.toString(16).padStart(8, '0');
  }

  /** Whether `path` is shown with a watch mark; true for the live tab's own client watches. */
  markWatched(path: string, watched: boolean): void {
    this.node(path).watched = watched;
  }

  private read(view: ZNodeView): void {
    // No writes to `ready` here: node() runs inside the views' deriveds, where only the new
    // node's own state may be written.
    if (!this.source.available()) return;
    const read = this.source.read(view.path);
    if (read === null) {
      view.exists = false;
      view.children = [];
      view.stat = null;
      return;
    }
    view.exists = true;
    view.data = read.data;
    view.stat = read.stat;
    view.children = [...read.children];
  }
}

/** The paths a txn's watch events name, parents included (their children lists changed). */
export function pathsOfEvents(events: readonly unknown[]): Set<string> {
  const paths = new Set<string>();
  for (const event of events) {
    const path = (event as { path?: unknown } | null)?.path;
    if (typeof path !== 'string') continue;
    paths.add(path);
    if (path !== '/') paths.add(parentPath(path));
  }
  return paths;
}
