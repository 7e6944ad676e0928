import { assert } from '../assert.ts';
import type { Applied, ApplyResult } from '../state-machine.ts';
import type { Zxid } from '../zxid.ts';
import type { TreeEvent } from './events.ts';
import { utf8ByteLength } from './limits.ts';
import { childName, parentPath, ROOT_PATH } from './paths.ts';
import { statOf } from './stat.ts';
import type { Stat } from './stat.ts';
import type { TreeState } from './state.ts';
import type { CheckTxn, CloseSessionTxn, CreateSessionTxn, CreateTxn, DeleteTxn, MultiOpResult, MultiSubTxn, MultiTxn, SetDataTxn, TreeTxn } from './txns.ts';
import { createZNode } from './znode.ts';
import type { ZNode } from './znode.ts';

/**
 * ZooKeeper's DataTree.processTxn: applies a txn prepare made, deterministically, and reports the
 * watch events in the order DataTree fires them. A txn prepare made always fits the state it is
 * applied to (every server applies the same txns in the same order), so a txn that does not fit
 * is a broken invariant: it is asserted, and the server stops rather than diverge.
 */
export function applyTxn(state: TreeState, txn: TreeTxn, zxid: Zxid): Applied {
  const events: TreeEvent[] = [];
  const result = applyToState(state, txn, zxid, events);
  return { result, events };
}

function applyToState(state: TreeState, txn: TreeTxn, zxid: Zxid, events: TreeEvent[]): ApplyResult {
  switch (txn.type) {
    case 'create': {
      const created = applyCreate(state, txn, zxid, events);
      return { ok: true, value: { path: created.path, stat: created.stat } };
    }
    case 'delete':
      applyDelete(state, txn, zxid, events);
      return { ok: true, value: null };
    case 'setData':
      return { ok: true, value: applySetData(state, txn, zxid, events) };
    case 'multi':
      return { ok: true, value: { results: applyMulti(state, txn, zxid, events) } };
    case 'createSession':
      return { ok: true, value: applyCreateSession(state, txn) };
    case 'closeSession':
      applyCloseSession(state, txn, zxid, events);
      return { ok: true, value: null };
    case 'error':
      return txn.path === null ? { ok: false, error: txn.error } : { ok: false, error: txn.error, details: { path: txn.path } };
    case 'multiError':
      return { ok: false, error: txn.error, details: { failedIndex: txn.failedIndex, results: txn.results } };
  }
}

function existingNode(state: TreeState, path: string, txnType: string): ZNode {
  const node = state.nodes.get(path);
  assert(node !== undefined, () => `${txnType} txn for missing znode ${path}`);
  return node;
}

/** DataTree.createNode: the parent's child creates (cversion) and pzxid move with the new child. */
function applyCreate(state: TreeState, txn: CreateTxn, zxid: Zxid, events: TreeEvent[]): { path: string; stat: Stat } {
  assert(txn.path !== ROOT_PATH, 'create txn for the root');
  assert(!state.nodes.has(txn.path), () => `create txn for existing znode ${txn.path}`);
  const parentName = parentPath(txn.path);
  const parent = existingNode(state, parentName, 'create (parent)');
  assert(parent.ephemeralOwner === null, () => `create txn under ephemeral ${parentName}`);
  const node = createZNode({ data: txn.data, zxid, timeMs: txn.timeMs, ephemeralOwner: txn.ephemeralOwner });
  if (txn.ephemeralOwner !== null) {
    const session = state.sessions.get(txn.ephemeralOwner);
    assert(session !== undefined, () => `ephemeral create txn ${txn.path} for dead session ${txn.ephemeralOwner}`);
    session.ephemeralPaths.add(txn.path);
  }
  parent.children.add(childName(txn.path));
  parent.childCreates += 1;
  parent.pzxid = node.czxid;
  state.nodes.set(txn.path, node);
  events.push({ type: 'NodeCreated', path: txn.path }, { type: 'NodeChildrenChanged', path: parentName });
  return { path: txn.path, stat: statOf(node) };
}

/** DataTree.deleteNode: the parent's pzxid moves; its cversion follows from the child count. */
function applyDelete(state: TreeState, txn: DeleteTxn, zxid: Zxid, events: TreeEvent[]): void {
  assert(txn.path !== ROOT_PATH, 'delete txn for the root');
  const node = existingNode(state, txn.path, 'delete');
  assert(node.children.size === 0, () => `delete txn for ${txn.path} with ${node.children.size} children`);
  const parentName = parentPath(txn.path);
  const parent = existingNode(state, parentName, 'delete (parent)');
  if (node.ephemeralOwner !== null) {
    const removed = state.sessions.get(node.ephemeralOwner)?.ephemeralPaths.delete(txn.path);
    assert(removed === true, () => `ephemeral ${txn.path} not listed by session ${node.ephemeralOwner}`);
  }
  parent.children.delete(childName(txn.path));
  parent.pzxid = { epoch: zxid.epoch, counter: zxid.counter };
  state.nodes.delete(txn.path);
  events.push({ type: 'NodeDeleted', path: txn.path }, { type: 'NodeChildrenChanged', path: parentName });
}

/** DataTree.setData: data, version (decided by prepare), mzxid and mtime. */
function applySetData(state: TreeState, txn: SetDataTxn, zxid: Zxid, events: TreeEvent[]): Stat {
  const node = existingNode(state, txn.path, 'setData');
  assert(txn.version === node.version + 1, () => `setData txn ${txn.path} to version ${txn.version} from ${node.version}`);
  node.data = txn.data;
  node.dataLength = utf8ByteLength(txn.data);
  node.version = txn.version;
  node.mzxid = { epoch: zxid.epoch, counter: zxid.counter };
  node.mtime = txn.timeMs;
  events.push({ type: 'NodeDataChanged', path: txn.path });
  return statOf(node);
}

function applyCheck(state: TreeState, txn: CheckTxn): void {
  existingNode(state, txn.path, 'check');
}

/** Every op of a multi shares its zxid; events come op by op, in order. */
function applyMulti(state: TreeState, txn: MultiTxn, zxid: Zxid, events: TreeEvent[]): MultiOpResult[] {
  return txn.txns.map((subTxn) => applyMultiOp(state, subTxn, zxid, events));
}

function applyMultiOp(state: TreeState, txn: MultiSubTxn, zxid: Zxid, events: TreeEvent[]): MultiOpResult {
  switch (txn.type) {
    case 'create': {
      const created = applyCreate(state, txn, zxid, events);
      return { type: 'create', path: created.path, stat: created.stat };
    }
    case 'delete':
      applyDelete(state, txn, zxid, events);
      return { type: 'delete' };
    case 'setData':
      return { type: 'setData', stat: applySetData(state, txn, zxid, events) };
    case 'check':
      applyCheck(state, txn);
      return { type: 'check' };
  }
}

/** Idempotent: a live session keeps its timeout and ephemerals. */
function applyCreateSession(state: TreeState, txn: CreateSessionTxn): { sessionId: string; timeoutMs: number } {
  const existing = state.sessions.get(txn.sessionId);
  if (existing !== undefined) return { sessionId: txn.sessionId, timeoutMs: existing.timeoutMs };
  state.sessions.set(txn.sessionId, { timeoutMs: txn.timeoutMs, ephemeralPaths: new Set() });
  return { sessionId: txn.sessionId, timeoutMs: txn.timeoutMs };
}

/**
 * DataTree.killSession: deletes the ephemerals the txn lists, in its (sorted) order, with the
 * events of each delete. Closing an unknown session changes nothing.
 */
function applyCloseSession(state: TreeState, txn: CloseSessionTxn, zxid: Zxid, events: TreeEvent[]): void {
  const session = state.sessions.get(txn.sessionId);
  if (session === undefined) {
    assert(txn.paths.length === 0, () => `closeSession txn deletes ${txn.paths.length} znodes of unknown session ${txn.sessionId}`);
    return;
  }
  assert(txn.paths.length === session.ephemeralPaths.size, () => `closeSession txn ${txn.sessionId} lists ${txn.paths.length} of ${session.ephemeralPaths.size} ephemerals`);
  for (const path of txn.paths) {
    const node = existingNode(state, path, 'closeSession');
    assert(node.ephemeralOwner === txn.sessionId, () => `closeSession ${txn.sessionId} deletes ${path} owned by ${node.ephemeralOwner}`);
    applyDelete(state, { type: 'delete', path }, zxid, events);
  }
  assert(session.ephemeralPaths.size === 0, () => `session ${txn.sessionId} still owns ephemerals after closeSession`);
  state.sessions.delete(txn.sessionId);
}
