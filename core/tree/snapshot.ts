import * as v from 'valibot';
import type { Json } from '../types.ts';
import { childName, parentPath, ROOT_PATH, validatePath } from './paths.ts';
import { compareCodeUnits } from './sessions.ts';
import type { Sessions } from './sessions.ts';
import { copyZxid, storedStatFields } from './stat.ts';
import type { TreeState } from './state.ts';
import { utf8ByteLength } from './limits.ts';
import type { ZNode } from './znode.ts';
import { hasTreeSnapshotShape } from './snapshot-shape.ts';

/**
 * The snapshot format: every znode in code-unit order of its path (so a parent always comes
 * before its children, and equal trees give equal JSON), then every live session in id order.
 * Only what cannot be derived is stored: children, numChildren, dataLength, the client cversion
 * and each session's ephemerals are rebuilt on restore.
 */
export const SNAPSHOT_FORMAT = 'tabkeeper.data-tree.v1';

const IntegerSchema = v.pipe(v.number(), v.integer(), v.minValue(0));
const ZxidSchema = v.strictObject({ epoch: IntegerSchema, counter: IntegerSchema });
const SnapshotNodeSchema = v.strictObject({
  path: v.string(),
  data: v.string(),
  czxid: ZxidSchema,
  mzxid: ZxidSchema,
  pzxid: ZxidSchema,
  ctime: v.pipe(v.number(), v.finite()),
  mtime: v.pipe(v.number(), v.finite()),
  version: IntegerSchema,
  aversion: IntegerSchema,
  ephemeralOwner: v.nullable(v.string()),
  /** ZooKeeper's persisted cversion: children ever created (znode.ts). */
  childCreates: IntegerSchema,
});
const SnapshotSessionSchema = v.strictObject({ sessionId: v.pipe(v.string(), v.minLength(1)), timeoutMs: IntegerSchema });
export const TreeSnapshotSchema = v.strictObject({
  format: v.literal(SNAPSHOT_FORMAT),
  nodes: v.array(SnapshotNodeSchema),
  sessions: v.array(SnapshotSessionSchema),
});

export type SnapshotNode = v.InferOutput<typeof SnapshotNodeSchema>;
export type SnapshotSession = v.InferOutput<typeof SnapshotSessionSchema>;
export type TreeSnapshot = v.InferOutput<typeof TreeSnapshotSchema>;

/** A fresh JSON value: nothing in it is shared with the live tree. */
export function snapshotOf(state: TreeState): TreeSnapshot {
  const paths = [...state.nodes.keys()].sort(compareCodeUnits);
  const nodes = paths.map((path) => snapshotNode(path, state.nodes.get(path)!));
  const sessionIds = [...state.sessions.keys()].sort(compareCodeUnits);
  const sessions = sessionIds.map((sessionId) => ({ sessionId, timeoutMs: state.sessions.get(sessionId)!.timeoutMs }));
  return { format: SNAPSHOT_FORMAT, nodes, sessions };
}

function snapshotNode(path: string, node: ZNode): SnapshotNode {
  return {
    path,
    data: node.data,
    ...storedStatFields(node),
    aversion: node.aversion,
    ephemeralOwner: node.ephemeralOwner,
    childCreates: node.childCreates,
  };
}

/** Rebuilds a state from a snapshot, or throws an Error that says what is wrong with it. */
export function stateFromSnapshot(data: Json): TreeState {
  const snapshot = hasTreeSnapshotShape(data) ? data : parseSnapshot(data);
  const sessions = restoreSessions(snapshot.sessions);
  const nodes = new Map<string, ZNode>();
  for (const entry of snapshot.nodes) restoreNode(nodes, sessions, entry);
  if (!nodes.has(ROOT_PATH)) throw new Error('malformed data tree snapshot: no root znode');
  for (const [path, node] of nodes) {
    if (node.childCreates < node.children.size) {
      throw new Error(`malformed data tree snapshot: ${path} has ${node.children.size} children but ${node.childCreates} child creates`);
    }
  }
  return { nodes, sessions };
}

/** The schema's verdict, for a snapshot the fast check refused: what is wrong with it, or (never expected) its parsed copy. */
function parseSnapshot(data: Json): TreeSnapshot {
  const parsed = v.safeParse(TreeSnapshotSchema, data);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    throw new Error(`malformed data tree snapshot at ${v.getDotPath(issue) ?? '(top)'}: ${issue.message}`);
  }
  return parsed.output;
}

function restoreSessions(entries: readonly SnapshotSession[]): Sessions {
  const sessions: Sessions = new Map();
  for (const entry of entries) {
    if (sessions.has(entry.sessionId)) throw new Error(`malformed data tree snapshot: session ${entry.sessionId} twice`);
    sessions.set(entry.sessionId, { timeoutMs: entry.timeoutMs, ephemeralPaths: new Set() });
  }
  return sessions;
}

function restoreNode(nodes: Map<string, ZNode>, sessions: Sessions, entry: SnapshotNode): void {
  const problem = validatePath(entry.path);
  if (problem !== null) throw new Error(`malformed data tree snapshot: ${problem}`);
  if (nodes.has(entry.path)) throw new Error(`malformed data tree snapshot: znode ${entry.path} twice`);
  const node: ZNode = {
    data: entry.data,
    dataLength: utf8ByteLength(entry.data),
    czxid: copyZxid(entry.czxid),
    mzxid: copyZxid(entry.mzxid),
    pzxid: copyZxid(entry.pzxid),
    ctime: entry.ctime,
    mtime: entry.mtime,
    version: entry.version,
    aversion: entry.aversion,
    ephemeralOwner: entry.ephemeralOwner,
    childCreates: entry.childCreates,
    children: new Set(),
  };
  if (entry.path !== ROOT_PATH) linkToParent(nodes, entry.path);
  else if (entry.ephemeralOwner !== null) throw new Error('malformed data tree snapshot: the root is ephemeral');
  if (entry.ephemeralOwner !== null) {
    const session = sessions.get(entry.ephemeralOwner);
    if (session === undefined) throw new Error(`malformed data tree snapshot: ${entry.path} owned by unknown session ${entry.ephemeralOwner}`);
    session.ephemeralPaths.add(entry.path);
  }
  nodes.set(entry.path, node);
}

/** Parents come first in the snapshot's order; a node whose parent is missing is refused. */
function linkToParent(nodes: Map<string, ZNode>, path: string): void {
  const parent = nodes.get(parentPath(path));
  if (parent === undefined) throw new Error(`malformed data tree snapshot: the parent of ${path} is missing or comes after it`);
  if (parent.ephemeralOwner !== null) throw new Error(`malformed data tree snapshot: ${path} is a child of an ephemeral`);
  parent.children.add(childName(path));
}
