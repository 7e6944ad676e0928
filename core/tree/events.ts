/** ZooKeeper's WatchedEvent types that a write can fire (Watcher.Event.EventType). */
export const WATCHED_EVENT_TYPES = ['NodeCreated', 'NodeDeleted', 'NodeDataChanged', 'NodeChildrenChanged'] as const;

export type WatchedEventType = (typeof WATCHED_EVENT_TYPES)[number];

/**
 * One watch trigger, in the order ZooKeeper's DataTree fires them: create fires NodeCreated on the
 * path then NodeChildrenChanged on the parent; delete fires NodeDeleted on the path (data and
 * child watches of that path) then NodeChildrenChanged on the parent; setData fires
 * NodeDataChanged. The watch manager of the server decides who hears it.
 */
export type TreeEvent = { readonly type: WatchedEventType; readonly path: string };
