import type { TreeEvent, WatchedEventType } from '../tree/index.ts';

/** What a watcher receives: ZooKeeper's WatchedEvent (the path and what happened to it). */
export interface WatchedEvent {
  readonly type: WatchedEventType;
  readonly path: string;
}

export type Watcher = (event: WatchedEvent) => void;

/**
 * A client's one-shot watches (ZooKeeper's ZKWatchManager). Data watches are set by getData and
 * exists, child watches by getChildren; each fires at most once, for the first matching event.
 * `seen` remembers what the watch was set on, so that on a new server a change missed while
 * moving fires at once (ZooKeeper's SetWatches).
 */
export interface WatchRegistration {
  readonly watcher: Watcher;
  /** Version token of what the watch was set on: mzxid (data), pzxid (children), or 'absent'. */
  readonly seen: string;
}

export class WatchTable {
  readonly data = new Map<string, WatchRegistration[]>();
  readonly children = new Map<string, WatchRegistration[]>();

  add(kind: 'data' | 'children', path: string, registration: WatchRegistration): void {
    const table = kind === 'data' ? this.data : this.children;
    const list = table.get(path);
    if (list) list.push(registration);
    else table.set(path, [registration]);
  }

  /** Fires, and forgets, every watch the event triggers (as ZooKeeper's DataTree.triggerWatch). Returns how many fired. */
  trigger(event: TreeEvent): number {
    const fired: WatchRegistration[] = [];
    if (event.type !== 'NodeChildrenChanged') fired.push(...this.take(this.data, event.path));
    if (event.type === 'NodeChildrenChanged' || event.type === 'NodeDeleted') fired.push(...this.take(this.children, event.path));
    for (const { watcher } of fired) watcher({ type: event.type, path: event.path });
    return fired.length;
  }

  private take(table: Map<string, WatchRegistration[]>, path: string): WatchRegistration[] {
    const list = table.get(path) ?? [];
    table.delete(path);
    return list;
  }

  get size(): number {
    let count = 0;
    for (const list of this.data.values()) count += list.length;
    for (const list of this.children.values()) count += list.length;
    return count;
  }
}
