import type { SessionInfo } from '../session-tracker.ts';
import * as v from 'valibot';
import { AssertionError } from '../assert.ts';
import type { Applied, ApplyResult, PrepareContext, StateMachine } from '../state-machine.ts';
import type { Json } from '../types.ts';
import type { Zxid } from '../zxid.ts';
import { applyTxn } from './apply.ts';
import { digest64 } from './digest.ts';
import { childName, parentPath, ROOT_PATH } from './paths.ts';
import { errorTxn, prepareWrite } from './prepare.ts';
import { checkRequest, isReadRequest } from './requests.ts';
import type { ReadRequest } from './requests.ts';
import { snapshotOf, stateFromSnapshot } from './snapshot.ts';
import { compareCodeUnits } from './sessions.ts';
import { statOf } from './stat.ts';
import { createTreeState } from './state.ts';
import type { TreeState } from './state.ts';
import { TxnSchema } from './txns.ts';
import { isOnce, isOnceReplay, OnceReplayTxnSchema, OnceRequestSchema, OnceTxnSchema, SessionResults } from './exactly-once.ts';
import type { TreeTxn } from './txns.ts';

/**
 * The ZooKeeper data tree as TabKeeper's replicated state machine: znodes with ZooKeeper's stats,
 * sessions and their ephemerals, sequential names, multi, and the watch events each write fires.
 * The leader prepares txns (prepare.ts), every server applies them (apply.ts).
 */
export class DataTree implements StateMachine {
  private state: TreeState = createTreeState();
  /** Results of numbered writes per live session (exactly-once.ts); part of snapshots and digests. */
  private results = new SessionResults();
  /**
   * The digest of the state as it is, once computed: the whole tree serialized and hashed (~60 ms
   * for 20 MiB, seconds for 100k znodes) is asked for again and again at one state (a snapshot
   * taken, then sent as a SNAP; a reload's check, then its event). Every change goes through
   * apply() or restore(), which drop it.
   */
  private digestCache: string | null = null;

  validateOp(op: unknown): string | null {
    if (isOnce(op)) {
      const envelope = v.safeParse(OnceRequestSchema, op);
      if (!envelope.success) return `invalid numbered write: ${envelope.issues[0].message}`;
      const inner = checkRequest(envelope.output.request);
      if (!inner.ok) return inner.reason;
      const type = inner.request.type;
      if (isReadRequest(inner.request) || type === 'createSession' || type === 'closeSession') return `a numbered write cannot be ${type}`;
      return null;
    }
    const checked = checkRequest(op);
    return checked.ok ? null : checked.reason;
  }

  /**
   * Never changes the tree. A request that fails the boundary checks (the core should not send
   * one) or a read becomes a BadArguments error txn, so that it still gets an answer.
   */
  prepare(op: Json, context: PrepareContext): Json {
    if (isOnce(op)) return this.prepareOnce(op, context);
    const checked = checkRequest(op);
    if (!checked.ok) return errorTxn('BadArguments', null);
    if (isReadRequest(checked.request)) return errorTxn('BadArguments', checked.request.path);
    return prepareWrite(this.state, checked.request, context.timeMs);
  }

  /** A numbered write: its original result if this session's write of that number was already prepared, else the write. */
  private prepareOnce(op: Json, context: PrepareContext): Json {
    const envelope = v.safeParse(OnceRequestSchema, op);
    if (!envelope.success || this.validateOp(op) !== null) return errorTxn('BadArguments', null);
    const { sessionId, requestNumber, request } = envelope.output;
    if (!this.state.sessions.has(sessionId)) return errorTxn('SessionExpired', null);
    if (this.results.find(sessionId, requestNumber) !== null) return { type: 'onceReplay', sessionId, requestNumber };
    return { type: 'once', sessionId, requestNumber, txn: this.prepare(request, context) };
  }

  apply(txn: Json, zxid: Zxid): Applied {
    this.digestCache = null;
    if (isOnce(txn)) {
      const once = v.parse(OnceTxnSchema, txn);
      const applied = this.apply(once.txn, zxid);
      // A write whose session closed in the same txn (none can) would leave nothing to remember.
      if (this.state.sessions.has(once.sessionId)) this.results.remember(once.sessionId, once.requestNumber, applied.result);
      return applied;
    }
    if (isOnceReplay(txn)) {
      const replay = v.parse(OnceReplayTxnSchema, txn);
      // Prepared only when the result was remembered; a session closed since has none: unknown outcome.
      return { result: this.results.find(replay.sessionId, replay.requestNumber) ?? { ok: false, error: 'ConnectionLoss' }, events: [] };
    }
    const applied = this.applyTree(txn, zxid);
    const type = (txn as { type?: unknown }).type;
    if (type === 'closeSession') this.results.forget((txn as { sessionId: string }).sessionId);
    return applied;
  }

  private applyTree(txn: Json, zxid: Zxid): Applied {
    const parsed = v.safeParse(TxnSchema, txn);
    if (!parsed.success) {
      throw new AssertionError(`not a data tree txn at ${v.getDotPath(parsed.issues[0]) ?? '(top)'}: ${parsed.issues[0].message}`);
    }
    return applyTxn(this.state, parsed.output satisfies TreeTxn, zxid);
  }

  /** Live sessions, for the leader's SessionTracker. */
  *sessions(): Iterable<SessionInfo> {
    for (const [sessionId, session] of this.state.sessions) yield { sessionId, timeoutMs: session.timeoutMs };
  }

  /** The request the leader prepares to expire a session: its ephemerals go in the same txn. */
  expireSessionOp(sessionId: string): Json {
    return { type: 'closeSession', sessionId };
  }

  query(op: Json): ApplyResult {
    const checked = checkRequest(op);
    if (!checked.ok) return { ok: false, error: 'BadArguments', details: { reason: checked.reason } };
    if (!isReadRequest(checked.request)) return { ok: false, error: 'BadArguments', details: { reason: `${checked.request.type} is not a read` } };
    return this.read(checked.request);
  }

  private read(request: ReadRequest): ApplyResult {
    const node = this.state.nodes.get(request.path);
    if (node === undefined) {
      return request.type === 'exists' ? { ok: true, value: null } : { ok: false, error: 'NoNode', details: { path: request.path } };
    }
    switch (request.type) {
      case 'exists':
        return { ok: true, value: statOf(node) };
      case 'getData':
        return { ok: true, value: { data: node.data, stat: statOf(node) } };
      case 'getChildren':
        return { ok: true, value: { children: [...node.children].sort(compareCodeUnits), stat: statOf(node) } };
    }
  }

  /** The tree's snapshot, plus `results` when some session has numbered writes (older snapshots have none). */
  snapshot(): Json {
    const tree = snapshotOf(this.state);
    return this.results.size === 0 ? tree : { ...tree, results: this.results.toJson() };
  }

  restore(data: Json): void {
    this.digestCache = null;
    const { results, ...tree } = (data ?? {}) as { results?: Json };
    this.state = stateFromSnapshot(tree as Json);
    this.results = SessionResults.fromJson(results);
  }

  digest(): string {
    return (this.digestCache ??= digest64(JSON.stringify(this.snapshot())));
  }

  /** Checks the invariants of state.ts; for tests and debugging (it walks the whole tree). */
  invariants(): void {
    checkInvariants(this.state);
  }
}

function checkInvariants(state: TreeState): void {
  const root = state.nodes.get(ROOT_PATH);
  if (root === undefined || root.ephemeralOwner !== null) throw new AssertionError('the root is missing or ephemeral');
  let ephemeralCount = 0;
  for (const [path, node] of state.nodes) {
    if (node.childCreates < node.children.size) throw new AssertionError(`${path}: fewer child creates than children`);
    if (node.ephemeralOwner !== null) {
      ephemeralCount++;
      if (state.sessions.get(node.ephemeralOwner)?.ephemeralPaths.has(path) !== true) {
        throw new AssertionError(`${path}: ephemeral not listed by session ${node.ephemeralOwner}`);
      }
    }
    if (path === ROOT_PATH) continue;
    const parent = state.nodes.get(parentPath(path));
    if (parent?.children.has(childName(path)) !== true) throw new AssertionError(`${path}: not listed by its parent`);
  }
  let listed = 0;
  for (const session of state.sessions.values()) listed += session.ephemeralPaths.size;
  if (listed !== ephemeralCount) throw new AssertionError(`sessions list ${listed} ephemerals, the tree has ${ephemeralCount}`);
}
