import type { Envelope, Message } from './messages.ts';
import type { Admission } from './admission.ts';
import type { ApplyResult, StateEvent, StateMachine } from './state-machine.ts';
import type { PersistedState, PersistOp } from './storage.ts';
import type { Json, Proposal, ServerId, ServerState } from './types.ts';
import type { ZabLog } from './zab-log.ts';
import type { Zxid } from './zxid.ts';

/** Inputs that do not come from a peer: the driver and the local clients speak through these. */
export type LocalInput =
  /** Storage was loaded (at boot or after a role change): rebuild from it and start looking. */
  | { readonly kind: 'Recovered'; readonly incarnation: number; readonly state: PersistedState; readonly storageId: string }
  /**
   * UNSAFE (etcd's --force-new-cluster): count every storage present as if the ensemble had
   * recorded it, until a new seat record commits. Committed writes held only by lost storages
   * are gone for good. For a cluster that refuses to serve because a quorum lost its storage.
   */
  | { readonly kind: 'ForceNewCluster' }
  /** The persist batch of a Ready of this incarnation is durable. */
  | { readonly kind: 'Persisted'; readonly incarnation: number; readonly mark: DurableMark }
  | { readonly kind: 'LinkUp'; readonly peer: ServerId }
  | { readonly kind: 'LinkDown'; readonly peer: ServerId }
  /** A client of this server asks for a write (`op`) or a `sync`. */
  | { readonly kind: 'ClientRequest'; readonly requestId: number; readonly type: 'op' | 'sync'; readonly op: Json }
  /** Clients attached here are alive: their sessions must not expire (ZooKeeper's session pings). */
  | { readonly kind: 'TouchSessions'; readonly sessionIds: readonly string[] }
  /** A timer of the current role is due: `ZabServer.tick` steps it (etcd's MsgHup, MsgBeat, MsgCheckQuorum). */
  | Timeout;

/**
 * The timers a tick can fire. Each role says which are due (`Role.timersDue`, read-only), and
 * `ZabServer.tick` steps each as a `Timeout` input, so time reaches a role through the same door
 * as a peer's message (etcd's tickElection steps MsgHup; TigerBeetle maps each timeout to an
 * on_X_timeout).
 * - `election`: a LOOKING round heard no `higher_id` (or must start over) by its deadline.
 * - `heartbeat`: a leader pings its learners (every tick).
 * - `initLimit`: a leader not established, or a learner not synced, within initLimit.
 * - `checkQuorum`: an established leader forgets learners silent for syncLimit and steps down without a quorum.
 * - `sessionExpiry`: an established leader proposes the expiry of silent sessions.
 * - `readRetry`: an established leader restarts a sync round no quorum confirmed in time.
 * - `leaderSilent`: a learner has not heard its leader for syncLimit.
 */
export type TimerName = 'election' | 'heartbeat' | 'initLimit' | 'checkQuorum' | 'sessionExpiry' | 'readRetry' | 'leaderSilent';

export interface Timeout {
  readonly kind: 'Timeout';
  readonly timer: TimerName;
}

export type Input = Message | LocalInput;

/** What is durable once a Ready's persist batch is written. */
export interface DurableMark {
  readonly lastZxid: Zxid;
  readonly acceptedEpoch: number;
  readonly currentEpoch: number;
}

export interface ClientReply {
  readonly requestId: number;
  readonly result: ApplyResult;
}

/** A txn this server applied, with what it produced (checkers, watches and the UI read these). */
export interface AppliedTxn {
  readonly proposal: Proposal;
  readonly result: ApplyResult;
  readonly events: readonly StateEvent[];
}

/** Where a server stands: what its live state (`ServerReader`) and its picture (`ServerView`) both say. */
export interface ServerStanding {
  readonly sid: ServerId;
  readonly state: ServerState;
  /** Whether the server serves clients: synced with an established leader, or leading one. */
  readonly serving: boolean;
  readonly leader: ServerId | null;
  readonly acceptedEpoch: number;
  readonly currentEpoch: number;
  readonly committedZxid: Zxid;
}

/**
 * Read-only access to one server's live state, for code outside the protocol: the page's status,
 * log and tree views, the simulator's checkers and tests. It has no method that changes anything
 * (ZabNode hands it out; the ZabServer itself stays private to the node), and costs nothing to
 * take, unlike `ServerView`, which digests the whole state.
 */
export interface ServerReader extends ServerStanding {
  /** Bumped on every role change. */
  readonly incarnation: number;
  readonly snapshotZxid: Zxid;
  readonly log: Pick<ZabLog, 'baseZxid' | 'lastZxid' | 'length' | 'entryAt' | 'hasPoint' | 'countThrough' | 'entriesAfter'>;
  /** The committed state (the leader's speculative copy is not shown). */
  readonly machine: StateReader;
  readonly admission: Pick<Admission, 'storageId' | 'forcing' | 'committed' | 'view'>;
  /** The driver's clock as the server last heard it (ms): the time txns and session touches are stamped with. */
  readonly timeMs: number;
}

/** The reads of a state machine: what a view may do with the committed state. */
export type StateReader = Pick<StateMachine, 'query' | 'digest' | 'sessions'>;

/** A read-only picture of the server for the driver, the UI and tests: a copy, taken at once. */
export interface ServerView extends ServerStanding {
  readonly lastZxid: Zxid;
  readonly digest: string;
  readonly tick: number;
  /** Whether this seat's storage may vote, and why not (core/seats.ts). */
  readonly admission: AdmissionView;
}

/**
 * `member`: the ensemble recorded this storage for this seat (or it is an observer).
 * `new`: blank storage and nothing recorded anywhere heard: a new cluster forms once all N voters are here.
 * `recovering`: the storage is unknown to the ensemble: it is synced, then re-admitted, before it votes.
 * `refusing`: a quorum of seats holds storage the ensemble does not know: the cluster will not serve.
 */
export interface AdmissionView {
  readonly state: 'member' | 'new' | 'recovering' | 'refusing';
  /** Seats whose storage is known not to be the recorded one. */
  readonly lost: readonly ServerId[];
  readonly storageId: string;
  /** One sentence for the page; empty for members. */
  readonly reason: string;
}

/**
 * Everything the protocol wants done, handed out in one batch (etcd's Ready). The driver
 * persists `persist` (one atomic write), sends `messages` at once, sends `messagesAfterPersist`
 * only once that write is durable, answers `replies`, and reports `applied`. If `reload` is set,
 * the server changed role: the driver fences writes of older incarnations, reloads storage and
 * steps `Recovered`.
 */
export interface Ready {
  readonly incarnation: number;
  readonly persist: PersistOp[];
  readonly mark: DurableMark;
  readonly messages: Envelope[];
  readonly messagesAfterPersist: Envelope[];
  readonly replies: ClientReply[];
  readonly applied: AppliedTxn[];
  readonly reload: boolean;
}
