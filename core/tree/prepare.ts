import type { ZooKeeperErrorCode } from './errors.ts';
import { createParentPath, parentPath, ROOT_PATH, sequentialPath } from './paths.ts';
import type { CheckRequest, CreateSessionRequest, CloseSessionRequest, DeleteRequest, MultiCreateOp, MultiOp, MultiRequest, SetDataRequest, WriteRequest } from './requests.ts';
import { sortedEphemeralPaths } from './sessions.ts';
import type { ReadonlyTreeState } from './state.ts';
import { multiErrorResults } from './txns.ts';
import type { CheckTxn, CloseSessionTxn, CreateSessionTxn, CreateTxn, DeleteTxn, ErrorTxn, MultiErrorTxn, MultiSubTxn, MultiTxn, SetDataTxn, TreeTxn } from './txns.ts';

/**
 * The leader's PrepRequestProcessor: turns a checked write request into a txn, reading the tree
 * but never writing it. The checks run in ZooKeeper's order, so a request that breaks two rules
 * gets the error ZooKeeper would give.
 *
 * Ops of one multi must see the effects of the ops before them; as ZooKeeper's ChangeRecords,
 * `PendingChanges` overlays what the earlier ops did, and is dropped when the multi fails.
 */

/** What prepare needs to know of a znode: ZooKeeper's ChangeRecord without data and ACLs. */
type NodeRecord = {
  readonly version: number;
  readonly ephemeralOwner: string | null;
  readonly childCount: number;
  readonly childCreates: number;
};

type Prepared<T> = { readonly ok: true; readonly txn: T } | { readonly ok: false; readonly error: ZooKeeperErrorCode; readonly path: string };

class PendingChanges {
  /** null marks a node an earlier op of the same request deleted. */
  private readonly records = new Map<string, NodeRecord | null>();

  constructor(private readonly state: ReadonlyTreeState) {}

  get(path: string): NodeRecord | null {
    const pending = this.records.get(path);
    if (pending !== undefined) return pending;
    const node = this.state.nodes.get(path);
    if (node === undefined) return null;
    return { version: node.version, ephemeralOwner: node.ephemeralOwner, childCount: node.children.size, childCreates: node.childCreates };
  }

  set(path: string, record: NodeRecord | null): void {
    this.records.set(path, record);
  }
}

export function prepareWrite(state: ReadonlyTreeState, request: WriteRequest, timeMs: number): TreeTxn {
  switch (request.type) {
    case 'create': {
      if (!isLiveOrNone(state, request.sessionId)) return errorTxn('SessionExpired', request.path);
      return settle(prepareCreate(new PendingChanges(state), request, request.sessionId, timeMs));
    }
    case 'delete':
      return settle(prepareDelete(new PendingChanges(state), request));
    case 'setData':
      return settle(prepareSetData(new PendingChanges(state), request, timeMs));
    case 'multi':
      return prepareMulti(state, request, timeMs);
    case 'createSession':
      return prepareCreateSession(request);
    case 'closeSession':
      return prepareCloseSession(state, request);
  }
}

export function errorTxn(error: ZooKeeperErrorCode, path: string | null): ErrorTxn {
  return { type: 'error', error, path };
}

function settle<T extends TreeTxn>(prepared: Prepared<T>): T | ErrorTxn {
  return prepared.ok ? prepared.txn : errorTxn(prepared.error, prepared.path);
}

/**
 * A request that names a session must come from a live one: in ZooKeeper an expired session can
 * do nothing (its requests fail with SessionExpired before they are prepared).
 */
function isLiveOrNone(state: ReadonlyTreeState, sessionId: string | null): boolean {
  return sessionId === null || state.sessions.has(sessionId);
}

function fail(error: ZooKeeperErrorCode, path: string): Prepared<never> {
  return { ok: false, error, path };
}

/** PrepRequestProcessor.pRequest2TxnCreate. */
function prepareCreate(changes: PendingChanges, op: MultiCreateOp, sessionId: string | null, timeMs: number): Prepared<CreateTxn> {
  // "/" exists already: ZooKeeper answers NodeExists (its parent "" is the root itself).
  if (op.path === ROOT_PATH && !op.sequential) return fail('NodeExists', op.path);
  const parentName = createParentPath(op.path);
  const parent = changes.get(parentName);
  if (parent === null) return fail('NoNode', op.path);
  // The suffix counts the children ever created under the parent: ZooKeeper's persisted cversion.
  const path = op.sequential ? sequentialPath(op.path, parent.childCreates) : op.path;
  if (changes.get(path) !== null) return fail('NodeExists', path);
  if (parent.ephemeralOwner !== null) return fail('NoChildrenForEphemerals', path);
  const ephemeralOwner = op.ephemeral ? sessionId : null;
  changes.set(parentName, { ...parent, childCount: parent.childCount + 1, childCreates: parent.childCreates + 1 });
  changes.set(path, { version: 0, ephemeralOwner, childCount: 0, childCreates: 0 });
  return { ok: true, txn: { type: 'create', path, data: op.data, ephemeralOwner, timeMs } };
}

/** PrepRequestProcessor, case delete: BadArguments for the root, then NoNode, BadVersion, NotEmpty. */
function prepareDelete(changes: PendingChanges, op: DeleteRequest): Prepared<DeleteTxn> {
  if (op.path === ROOT_PATH) return fail('BadArguments', op.path);
  const parentName = parentPath(op.path);
  const parent = changes.get(parentName);
  const node = changes.get(op.path);
  if (parent === null || node === null) return fail('NoNode', op.path);
  if (!versionMatches(op.version, node.version)) return fail('BadVersion', op.path);
  if (node.childCount > 0) return fail('NotEmpty', op.path);
  changes.set(parentName, { ...parent, childCount: parent.childCount - 1 });
  changes.set(op.path, null);
  return { ok: true, txn: { type: 'delete', path: op.path } };
}

/** PrepRequestProcessor, case setData: the txn carries the new version. */
function prepareSetData(changes: PendingChanges, op: SetDataRequest, timeMs: number): Prepared<SetDataTxn> {
  const node = changes.get(op.path);
  if (node === null) return fail('NoNode', op.path);
  if (!versionMatches(op.version, node.version)) return fail('BadVersion', op.path);
  const version = node.version + 1;
  changes.set(op.path, { ...node, version });
  return { ok: true, txn: { type: 'setData', path: op.path, data: op.data, version, timeMs } };
}

/** PrepRequestProcessor, case check. */
function prepareCheck(changes: PendingChanges, op: CheckRequest): Prepared<CheckTxn> {
  const node = changes.get(op.path);
  if (node === null) return fail('NoNode', op.path);
  if (!versionMatches(op.version, node.version)) return fail('BadVersion', op.path);
  return { ok: true, txn: { type: 'check', path: op.path } };
}

/** checkAndIncVersion: -1 matches any version. */
function versionMatches(expected: number, actual: number): boolean {
  return expected === -1 || expected === actual;
}

/**
 * All or nothing: the first failing op fails the multi, which then changes nothing and reports,
 * per op, what ZooKeeper's client receives (see multiErrorResults).
 */
function prepareMulti(state: ReadonlyTreeState, request: MultiRequest, timeMs: number): MultiTxn | MultiErrorTxn | ErrorTxn {
  // A dead session fails the whole request before any op is looked at (ZooKeeper refuses it when
  // the request arrives), so there are no per-op results to give.
  if (!isLiveOrNone(state, request.sessionId)) return errorTxn('SessionExpired', null);
  const changes = new PendingChanges(state);
  const txns: MultiSubTxn[] = [];
  for (const [index, op] of request.ops.entries()) {
    const prepared = prepareMultiOp(changes, op, request.sessionId, timeMs);
    if (!prepared.ok) {
      const results = multiErrorResults(request.ops.length, index, prepared.error);
      return { type: 'multiError', error: prepared.error, failedIndex: index, results };
    }
    txns.push(prepared.txn);
  }
  return { type: 'multi', txns };
}

function prepareMultiOp(changes: PendingChanges, op: MultiOp, sessionId: string | null, timeMs: number): Prepared<MultiSubTxn> {
  switch (op.type) {
    case 'create':
      return prepareCreate(changes, op, sessionId, timeMs);
    case 'delete':
      return prepareDelete(changes, op);
    case 'setData':
      return prepareSetData(changes, op, timeMs);
    case 'check':
      return prepareCheck(changes, op);
  }
}

/** Creating a live session again is idempotent: apply keeps the session as it is. */
function prepareCreateSession(request: CreateSessionRequest): CreateSessionTxn {
  return { type: 'createSession', sessionId: request.sessionId, timeoutMs: request.timeoutMs };
}

/** The ephemerals to delete are fixed here, sorted, as ZooKeeper's CloseSessionTxn lists them. */
function prepareCloseSession(state: ReadonlyTreeState, request: CloseSessionRequest): CloseSessionTxn {
  const session = state.sessions.get(request.sessionId);
  const paths = session === undefined ? [] : sortedEphemeralPaths(session);
  return { type: 'closeSession', sessionId: request.sessionId, paths };
}
