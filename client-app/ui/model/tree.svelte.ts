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

/**
 * This tab's committed data tree, read lazily: a node is read when it is first shown, and
 * re-read only when an applied txn names it (its watch events: created, deleted, data or
 * children changed) or the whole machine was replaced (a snapshot restored or SNAP received).
 */
export class TreeStore {
  /** Null until the node has a state machine. */
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
  private sumA = 0;
  private sumB = 0;

  constructor(private readonly machine: () => StateReader | null) {}

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

  /** Paths named by the watch events of applied txns. */
  touched(paths: Iterable<string>): void {
    for (const path of paths) {
      this.rehash(path);
      const view = this.nodes.get(path);
      if (view !== undefined) {
        this.read(view);
        view.changes++;
      }
    }
  }

  /** The machine was replaced: re-read every node shown, and digest the whole tree once. */
  reloadAll(): void {
    this.ready = this.machine() !== null;
    for (const view of this.nodes.values()) this.read(view);
    this.hashes.clear();
    this.sumA = 0;
    this.sumB = 0;
    const pending = ['/'];
    while (pending.length > 0) {
      const path = pending.pop()!;
      for (const child of this.rehash(path)) pending.push(path === '/' ? `/${child}` : `${path}/${child}`);
    }
  }

  /** Replaces `path`'s share of the digest by its current one; returns its children. */
  private rehash(path: string): string[] {
    const machine = this.machine();
    if (machine === null) return [];
    const old = this.hashes.get(path);
    if (old !== undefined) {
      this.sumA = (this.sumA - old[0]) >>> 0;
      this.sumB = (this.sumB - old[1]) >>> 0;
      this.hashes.delete(path);
    }
    const read = machine.query({ type: 'getChildren', path });
    const data = machine.query({ type: 'getData', path });
    let children: string[] = [];
    if (read.ok && data.ok) {
      const { stat } = data.value as { data: string; stat: Stat };
      children = (read.value as { children: string[] }).children;
      const hex = digest64(`${path}\u0000${(data.value as { data: string }).data}\u0000${stat.version}\u0000${stat.cversion}\u0000${stat.ephemeralOwner ?? ''}`);
      const hash = [parseInt(hex.slice(0, 8), 16), parseInt(hex.slice(8), 16)] as const;
      this.hashes.set(path, hash);
      this.sumA = (this.sumA + hash[0]) >>> 0;
      this.sumB = (this.sumB + hash[1]) >>> 0;
    }
    this.digest = this.sumA.toString(16).padStart(8, '0') + this.sumB.toString(16).padStart(8, '0');
    return children;
  }

  /** Whether `path` is shown with a watch mark; true for the live tab's own client watches. */
  markWatched(path: string, watched: boolean): void {
    this.node(path).watched = watched;
  }

  private read(view: ZNodeView): void {
    const machine = this.machine();
    // No writes to `ready` here: node() runs inside the views' deriveds, where only the new
    // node's own state may be written.
    if (machine === null) return;
    const read = machine.query({ type: 'getData', path: view.path });
    if (!read.ok) {
      view.exists = false;
      view.children = [];
      view.stat = null;
      return;
    }
    const value = read.value as { data: string; stat: Stat };
    view.exists = true;
    view.data = value.data;
    view.stat = value.stat;
    const listed = machine.query({ type: 'getChildren', path: view.path });
    view.children = listed.ok ? (listed.value as { children: string[] }).children : [];
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
