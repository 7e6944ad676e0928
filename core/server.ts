import { Admission } from './admission.ts';
import { assert } from './assert.ts';
import { MARK, type Mark, type StepDown } from './marks.ts';
import type { ServerConfig } from './config.ts';
import { FollowingRole } from './following.ts';
import { LeadingRole } from './leading.ts';
import { LookingRole } from './looking.ts';
import type { Envelope, HeartbeatStatus, Message } from './messages.ts';
import { isQuorum, isVoter } from './quorum.ts';
import type { AppliedTxn, ClientReply, DurableMark, Input, LocalInput, Ready, ServerView, Timeout } from './ready.ts';
import { RECOVERING, type Role } from './role.ts';
import type { Applied, ApplyResult, StateMachine, StateMachineFactory } from './state-machine.ts';
import type { PersistedState, PersistOp } from './storage.ts';
import type { Json, Proposal, ServerId, Snapshot } from './types.ts';
import { SyncWaiters } from './read-index.ts';
import type { Rank } from './messages.ts';
import { ZabLog } from './zab-log.ts';
import { compareZxid, formatZxid, ZERO_ZXID, type Zxid } from './zxid.ts';

/** Moments that checkers outside the protocol watch (the simulator's StateChecker, the UI). */
export type ServerEvent =
  /** This server became the established leader of `epoch`. */
  | { readonly kind: 'established'; readonly epoch: number }
  /** The state machine was replaced by a snapshot at `zxid` (reload from storage, or SNAP). */
  | { readonly kind: 'restored'; readonly zxid: Zxid; readonly digest: string }
  /** A snapshot of committed state at `zxid` was taken here. */
  | { readonly kind: 'snapshot'; readonly zxid: Zxid; readonly digest: string }
  /**
   * The leader counted these voters' storages toward a quorum: to establish `epoch` (zxid: its
   * initial history) or to commit through `zxid`. The simulator checks that none was amnesiac.
   */
  | { readonly kind: 'counted'; readonly epoch: number; readonly zxid: Zxid; readonly storages: readonly { readonly sid: ServerId; readonly storageId: string }[] }
  /** The leader proposed a `seats` txn at `zxid` recording these synced voters' storages (core/seats.ts). */
  | { readonly kind: 'recorded'; readonly zxid: Zxid; readonly seats: Json };

/** Where a server's log lines, coverage marks and events go. All optional: the simulator runs fast without them. */
export interface ServerHooks {
  readonly log?: (line: string) => void;
  readonly mark?: (name: Mark) => void;
  readonly event?: (event: ServerEvent) => void;
  /** The state digest after each applied txn (costly: checkers of small states only). */
  readonly digestAfterApply?: (zxid: Zxid, digest: string) => void;
}

const LOCAL_KINDS = new Set<LocalInput['kind']>(['Recovered', 'Persisted', 'LinkUp', 'LinkDown', 'ClientRequest', 'TouchSessions', 'ForceNewCluster', 'Timeout']);

type EpochMessage = Extract<Message, { readonly epoch: number }>;

/**
 * Whether a message that carries an epoch is settled against the role's epoch (a table, so that a
 * new message kind with an epoch does not compile until it is decided here). NEWEPOCH and PING
 * pass whatever the role's epoch: NEWEPOCH proposes one (the follower judges it against
 * acceptedEpoch), and a PING is answered in its own epoch (a leader in discovery pings before it
 * has one).
 */
const SETTLED: { readonly [Kind in EpochMessage['kind']]: boolean } = {
  NEWEPOCH: false,
  PING: false,
  ACKEPOCH: true,
  TRUNC: true,
  SNAP: true,
  DIFF: true,
  NEWLEADER: true,
  ACKNEWLEADER: true,
  UPTODATE: true,
  transaction_request: true,
  transaction_proposal: true,
  transaction_acknowledge: true,
  transaction_commit: true,
  inform: true,
  sync_request: true,
  sync_confirm: true,
  sync_confirm_ack: true,
  sync_reply: true,
  PONG: true,
};
const SETTLED_KINDS: ReadonlySet<Message['kind']> = new Set((Object.keys(SETTLED) as EpochMessage['kind'][]).filter((kind) => SETTLED[kind]));

/** What an observer (a sid above N) may say; everything else is a voter's or a leader's to say. */
const OBSERVER_KINDS = new Set<Message['kind']>(['election', 'FOLLOWERINFO', 'ACKNEWLEADER', 'transaction_request', 'sync_request', 'PONG']);

/**
 * One ZAB server as a pure state machine (etcd's raft): peer messages and local inputs enter
 * through `step`, and everything to do leaves through `ready()`. `tick` only advances logical time
 * and steps the timeouts the role has due, so time enters through the same door. It never touches
 * a transport, a storage or a clock: `core/node.ts` does, for the browser and the simulator.
 *
 * The fields below mirror what is durable or derived from it; roles (looking / leading /
 * following) read and change them through the methods marked "for roles". The epochs change only
 * through `saveEpochs`, which persists them in the same breath.
 */
export class ZabServer {
  readonly sid: ServerId;
  readonly observer: boolean;

  /** The epoch this server last promised to (ACKEPOCH, or proposed as leader). Invariant: >= currentEpoch. */
  #acceptedEpoch = 0;
  /** The epoch of the last leader this server synced with (NEWLEADER), or established as leader. */
  #currentEpoch = 0;
  log = ZabLog.empty();
  machine: StateMachine;
  /** Invariant: log.baseZxid <= snapshotZxid <= committedZxid <= log.lastZxid. */
  snapshotZxid: Zxid = ZERO_ZXID;
  committedZxid: Zxid = ZERO_ZXID;
  /** Last zxid of the log as the driver last reported it durable (this incarnation). */
  durableZxid: Zxid = ZERO_ZXID;
  /** This server's storage and the ensemble's seat record: who may vote (core/seats.ts). */
  readonly admission = new Admission(this);

  /** Bumped on every role change; Ready batches and Persisted reports of older ones are fenced. */
  incarnation = 0;
  ticks = 0;
  /**
   * The driver's clock at the last tick (ms), or when the server started: the leader stamps txns
   * and session touches with it. It starts at the clock's time, not 0: a tab can lead before its
   * first tick (an election by messages alone), and touches stamped 0 then looked, at that first
   * tick, as if every session had been silent since 1970, so the leader expired them all.
   */
  timeMs: number;
  private role: Role = RECOVERING;
  /** Tick at which each peer was last heard from (any valid message). */
  private readonly lastHeardTick = new Map<ServerId, number>();
  /**
   * Peers gone as far as this server knows: the transport reported their link down, or this
   * server left them as its leader for a syncLimit of silence; and nothing came from them since.
   */
  private readonly linksDown = new Set<ServerId>();
  /** Requests of this server's own clients, waiting for their txn to commit. */
  private readonly pendingRequests = new Set<number>();
  /** Syncs of this server's clients confirmed by the leader, waiting to apply through their index. */
  private readonly syncWaiters = new SyncWaiters();

  private persistOps: PersistOp[] = [];
  private messages: Envelope[] = [];
  private messagesAfterPersist: Envelope[] = [];
  private replies: ClientReply[] = [];
  private applied: AppliedTxn[] = [];
  private reload = false;
  /**
   * Election messages that arrived while this server reloaded its storage (or that made it step
   * back), latest per sender and kind: handed to the LOOKING role once it exists, so a peer's
   * round is answered instead of dropped (two leader-elects would otherwise wait out initLimit).
   */
  private readonly deferred = new Map<string, Message>();

  constructor(
    readonly config: ServerConfig,
    private readonly createMachine: StateMachineFactory,
    private readonly hooks: ServerHooks = {},
    /** The driver's clock when the server starts (the simulator's world starts at 0). */
    startMs = 0,
  ) {
    this.timeMs = startMs;
    assert(config.sid >= 1, () => `sid ${config.sid} must be >= 1`);
    assert(config.voterCount >= 1, () => `voterCount ${config.voterCount} must be >= 1`);
    this.sid = config.sid;
    this.observer = !isVoter(config.sid, config.voterCount);
    this.machine = createMachine();
  }

  // ---------------------------------------------------------------- the one door in

  step(input: Input): void {
    this.handle(input);
    this.invariants();
  }

  /** What `step` does before it checks the invariants; `tick` checks them once for all its timeouts. */
  private handle(input: Input): void {
    if (LOCAL_KINDS.has(input.kind as LocalInput['kind'])) this.stepLocal(input as LocalInput);
    else this.stepPeer(input as Message);
  }

  /**
   * One tick of logical time; `nowMs` is the driver's clock, for the timestamps of txns. Changes
   * no role state itself: each timer the role has due is stepped as a Timeout, in the role's
   * order, until one of them changes the role (the new role's timers start from this tick).
   */
  tick(nowMs: number = this.timeMs): void {
    this.ticks++;
    this.timeMs = Math.max(this.timeMs, nowMs);
    const role = this.role;
    for (const timeout of role.timersDue()) {
      if (this.role !== role) break;
      this.handle(timeout);
    }
    this.invariants();
  }

  private get recovering(): boolean {
    return this.role === RECOVERING;
  }

  private stepLocal(input: LocalInput): void {
    switch (input.kind) {
      case 'Recovered':
        if (input.incarnation === this.incarnation && this.recovering) this.recover(input.state, input.storageId);
        return;
      case 'ForceNewCluster':
        this.admission.force();
        return;
      case 'Persisted':
        if (input.incarnation !== this.incarnation || this.recovering) return;
        this.durableZxid = input.mark.lastZxid;
        this.role.onPersisted(input.mark);
        return;
      case 'LinkUp':
        this.linksDown.delete(input.peer);
        this.role.onLinkUp(input.peer);
        return;
      case 'LinkDown':
        this.linksDown.add(input.peer);
        this.lastHeardTick.delete(input.peer);
        this.admission.forget(input.peer);
        this.deferred.delete(`election/${input.peer}`);
        this.deferred.delete(`coordinator/${input.peer}`);
        this.role.onLinkDown(input.peer);
        return;
      case 'ClientRequest':
        this.handleClientRequest(input);
        return;
      case 'TouchSessions':
        if (this.role.serving) this.role.touchSessions(input.sessionIds);
        return;
      case 'Timeout':
        this.role.step(input);
        return;
    }
  }

  private stepPeer(message: Message): void {
    if (message.from === this.sid) return this.drop(message, 'sent by this server');
    if (!isVoter(message.from, this.config.voterCount) && !OBSERVER_KINDS.has(message.kind)) {
      return this.drop(message, `${message.from} is not a voter`);
    }
    if (message.kind === 'election' && message.observer === isVoter(message.from, this.config.voterCount)) {
      return this.drop(message, `observer flag does not match seat ${message.from}`);
    }
    this.lastHeardTick.set(message.from, this.ticks);
    this.linksDown.delete(message.from);
    this.admission.notePeer(message);
    if (message.kind === 'SEATS') return this.admission.onSeats(message);
    if (this.recovering) return this.defer(message, 'recovering');
    this.dispatch(message);
    // A leader-elect that stepped back for a higher one follows it once reloaded.
    if (this.recovering && message.kind === 'coordinator') this.defer(message, 'stepped back for it');
  }

  /** Hands a peer message to the role once its epoch is settled (etcd settles the term once, in Step). */
  private dispatch(message: Message): void {
    this.role.heard(message.from);
    const stale = this.settleEpoch(message);
    if (stale !== null) return this.drop(message, stale);
    this.role.step(message);
  }

  /**
   * The one place where a message's epoch is judged: one of another epoch than the role's is from
   * a leadership that is over here (or not begun), and no role sees it. Returns why it is dropped,
   * or null. Messages without an epoch (election, FOLLOWERINFO…), NEWEPOCH and PING pass (SETTLED).
   */
  private settleEpoch(message: Message): string | null {
    const epoch = this.role.epoch;
    if (epoch === null || !SETTLED_KINDS.has(message.kind)) return null;
    const carried = (message as EpochMessage).epoch;
    if (carried === epoch) return null;
    return `epoch ${carried}, ${this.role.state} in epoch ${epoch}`;
  }

  private defer(message: Message, reason: string): void {
    if (message.kind !== 'election' && message.kind !== 'coordinator') return this.drop(message, reason);
    this.trace(() => `deferred ${message.kind} from ${message.from} (${reason})`);
    this.deferred.set(`${message.kind}/${message.from}`, message);
  }

  private handleClientRequest(request: Extract<LocalInput, { kind: 'ClientRequest' }>): void {
    if (!this.role.serving) return this.reply(request.requestId, { ok: false, error: 'ConnectionLoss' });
    if (this.pendingRequests.has(request.requestId)) return this.reply(request.requestId, { ok: false, error: 'BadArguments' });
    if (request.type === 'op') {
      const problem = this.machine.validateOp(request.op);
      if (problem !== null) {
        this.trace(() => `refused client request ${request.requestId}: ${problem}`);
        return this.reply(request.requestId, { ok: false, error: 'BadArguments' });
      }
    }
    this.pendingRequests.add(request.requestId);
    this.role.handleClientRequest(request);
  }

  // ---------------------------------------------------------------- Ready

  hasReady(): boolean {
    return (
      this.reload ||
      this.persistOps.length > 0 ||
      this.messages.length > 0 ||
      this.messagesAfterPersist.length > 0 ||
      this.replies.length > 0 ||
      this.applied.length > 0
    );
  }

  /** Hands out everything accumulated since the last call. */
  ready(): Ready {
    const ready: Ready = {
      incarnation: this.incarnation,
      persist: this.persistOps,
      mark: this.durableMarkNow(),
      messages: this.messages,
      messagesAfterPersist: this.messagesAfterPersist,
      replies: this.replies,
      applied: this.applied,
      reload: this.reload,
    };
    this.persistOps = [];
    this.messages = [];
    this.messagesAfterPersist = [];
    this.replies = [];
    this.applied = [];
    this.reload = false;
    return ready;
  }

  private durableMarkNow(): DurableMark {
    return { lastZxid: this.log.lastZxid, acceptedEpoch: this.acceptedEpoch, currentEpoch: this.currentEpoch };
  }

  view(): ServerView {
    return {
      sid: this.sid,
      state: this.role.state,
      serving: this.serving,
      leader: this.role.leader,
      acceptedEpoch: this.acceptedEpoch,
      currentEpoch: this.currentEpoch,
      lastZxid: this.log.lastZxid,
      committedZxid: this.committedZxid,
      digest: this.machine.digest(),
      tick: this.ticks,
      admission: this.admission.view(),
    };
  }

  /** What heartbeats say of this server (displays only). */
  heartbeatStatus(): HeartbeatStatus {
    const state = this.role.state;
    // Only leaders and learners send heartbeats; a recovering server sends nothing at all.
    assert(state !== 'RECOVERING', () => `${this.sid}: heartbeat status while recovering`);
    return { state, epoch: this.currentEpoch, lastZxid: this.log.lastZxid };
  }

  /** The leader this server follows or is, if any (cheaper than `view()`, which digests the state). */
  get leader(): ServerId | null {
    return this.role.leader;
  }

  /** A plain local read of the committed state, as a client of this server sees it. */
  query(op: Json): ApplyResult {
    if (!this.serving) return { ok: false, error: 'ConnectionLoss' };
    if (this.machine.validateOp(op) !== null) return { ok: false, error: 'BadArguments' };
    return this.machine.query(op);
  }

  /** Whether the session exists in this server's committed state. */
  hasSession(sessionId: string): boolean {
    const sessions = this.machine.sessions?.();
    if (!sessions) return false;
    for (const session of sessions) if (session.sessionId === sessionId) return true;
    return false;
  }

  /** This server's Bully rank, with the storage it presents. */
  rank(): Rank {
    return { currentEpoch: this.currentEpoch, lastZxid: this.log.lastZxid, sid: this.sid, storageId: this.admission.storageId };
  }

  get state(): Role['state'] {
    return this.role.state;
  }

  /** A follower whose storage the ensemble has not re-admitted yet is synced but does not serve (core/seats.ts). */
  get serving(): boolean {
    return this.role.serving && (this.role.state === 'LEADING' || this.admission.selfMayVote());
  }

  // ---------------------------------------------------------------- transitions (for roles)

  /**
   * Leaves the current role for RECOVERING, and LOOKING once storage is reloaded. Whatever is not
   * durable is dropped: the persist batch not yet handed out is discarded, writes in flight are
   * fenced by the driver, and the server reloads from storage before it looks for a leader again
   * (docs/ARCHITECTURE.md, safety rule 6). `cause` is counted as a coverage mark; `reason` gives
   * the particulars in the log line.
   */
  becomeLooking(cause: StepDown, reason: string): void {
    if (this.recovering) return;
    this.trace(() => `becomes LOOKING: ${reason}`);
    this.mark(cause);
    for (const requestId of this.pendingRequests) this.reply(requestId, { ok: false, error: 'ConnectionLoss' });
    this.pendingRequests.clear();
    this.syncWaiters.clear();
    this.persistOps = [];
    this.messagesAfterPersist = [];
    this.incarnation++;
    this.reload = true;
    this.role = RECOVERING;
  }

  becomeLeading(): void {
    this.assertTransition('LEADING');
    this.trace(() => 'becomes LEADING (discovery)');
    this.mark(MARK.becomesLeaderElect);
    this.role = new LeadingRole(this);
  }

  /** `epoch`: the established leader's epoch, which observers take instead of NEWEPOCH (null for followers). */
  becomeFollowing(leader: ServerId, epoch: number | null): void {
    this.assertTransition(this.observer ? 'OBSERVING' : 'FOLLOWING');
    assert((epoch !== null) === this.observer, () => `becomeFollowing: epoch ${epoch} for ${this.observer ? 'an observer' : 'a follower'}`);
    this.trace(() => `becomes ${this.observer ? 'OBSERVING' : 'FOLLOWING'} ${leader}`);
    this.role = new FollowingRole(this, leader, epoch);
  }

  /**
   * The one way the epochs change: in memory and in the next persist batch together, so nothing
   * that depends on them (ACKEPOCH, a NEWLEADER ack, this leader's establishment) can be sent or
   * counted before they are durable. Neither epoch ever decreases.
   */
  saveEpochs(epochs: { readonly acceptedEpoch?: number; readonly currentEpoch?: number }): void {
    const acceptedEpoch = epochs.acceptedEpoch ?? this.#acceptedEpoch;
    const currentEpoch = epochs.currentEpoch ?? this.#currentEpoch;
    assert(acceptedEpoch >= this.#acceptedEpoch, () => `${this.sid}: acceptedEpoch would decrease from ${this.#acceptedEpoch} to ${acceptedEpoch}`);
    assert(currentEpoch >= this.#currentEpoch, () => `${this.sid}: currentEpoch would decrease from ${this.#currentEpoch} to ${currentEpoch}`);
    assert(acceptedEpoch >= currentEpoch, () => `${this.sid}: acceptedEpoch ${acceptedEpoch} below currentEpoch ${currentEpoch}`);
    this.#acceptedEpoch = acceptedEpoch;
    this.#currentEpoch = currentEpoch;
    this.persist({ kind: 'saveEpochs', acceptedEpoch, currentEpoch });
  }

  get acceptedEpoch(): number {
    return this.#acceptedEpoch;
  }

  get currentEpoch(): number {
    return this.#currentEpoch;
  }

  private assertTransition(to: Role['state']): void {
    assert(this.role instanceof LookingRole, () => `invalid transition [${this.role.state} -> ${to}] on ${this.sid}`);
    assert(to !== 'LEADING' || !this.observer, () => `observer ${this.sid} cannot lead`);
  }

  private recover(state: PersistedState, storageId: string): void {
    assert(this.recovering, () => `invalid transition [${this.role.state} -> LOOKING] on ${this.sid}: not recovering`);
    this.#acceptedEpoch = state.acceptedEpoch;
    this.#currentEpoch = state.currentEpoch;
    this.log = ZabLog.fromPersisted(state);
    this.machine = this.createMachine();
    // One digest of the recovered state: its check here, and the `restored` event below.
    let digest: string;
    if (state.snapshot) {
      this.machine.restore(state.snapshot.data);
      digest = this.machine.digest();
      assert(digest === state.snapshot.digest, () => `snapshot ${formatZxid(state.snapshot!.zxid)} digest ${state.snapshot!.digest} restored as ${digest}`);
      this.snapshotZxid = state.snapshot.zxid;
    } else {
      assert(compareZxid(state.logBaseZxid, ZERO_ZXID) === 0, () => `log base ${formatZxid(state.logBaseZxid)} without a snapshot`);
      this.snapshotZxid = ZERO_ZXID;
      digest = this.machine.digest();
    }
    this.committedZxid = this.snapshotZxid;
    this.durableZxid = this.log.lastZxid;
    this.admission.recover(storageId, state.snapshot?.seats);
    this.emit({ kind: 'restored', zxid: this.snapshotZxid, digest });
    this.trace(() => `recovered: acceptedEpoch ${this.acceptedEpoch}, log (${formatZxid(this.log.baseZxid)}, ${formatZxid(this.log.lastZxid)}], snapshot ${formatZxid(this.snapshotZxid)}`);
    const looking = new LookingRole(this);
    this.role = looking;
    looking.start();
    const deferred = [...this.deferred.values()];
    this.deferred.clear();
    for (const message of deferred) {
      if (this.recovering) break;
      this.trace(() => `takes deferred ${message.kind} from ${message.from}`);
      this.dispatch(message);
    }
  }

  // ---------------------------------------------------------------- output (for roles)

  send(to: ServerId, message: Message): void {
    this.messages.push({ to, message });
  }

  sendAfterPersist(to: ServerId, message: Message): void {
    this.messagesAfterPersist.push({ to, message });
  }

  persist(op: PersistOp): void {
    this.persistOps.push(op);
  }

  reply(requestId: number, result: ApplyResult): void {
    this.replies.push({ requestId, result });
  }

  /** Appends accepted proposals to the log and to the next persist batch. */
  appendToLog(proposals: readonly Proposal[]): void {
    if (proposals.length === 0) return;
    this.log.append(proposals);
    this.persist({ kind: 'appendProposals', proposals });
  }

  /** Applies every log entry up to `zxid` in order, answers this server's clients, and snapshots when due. */
  commitThrough(zxid: Zxid): void {
    assert(compareZxid(zxid, this.log.lastZxid) <= 0, () => `commit ${formatZxid(zxid)} beyond last zxid ${formatZxid(this.log.lastZxid)}`);
    if (compareZxid(zxid, this.committedZxid) <= 0) return;
    for (const proposal of this.log.entriesBetween(this.committedZxid, zxid)) {
      const { result, events } = this.applyTxn(proposal);
      this.applied.push({ proposal, result, events });
      this.hooks.digestAfterApply?.(proposal.zxid, this.machine.digest());
      if (proposal.txn.originator === this.sid && this.pendingRequests.delete(proposal.txn.requestId)) {
        this.reply(proposal.txn.requestId, result);
      }
    }
    this.committedZxid = zxid;
    for (const requestId of this.syncWaiters.release(zxid)) this.answerSync(requestId);
    this.maybeSnapshot();
  }

  /** A sync of this server's client is confirmed: it completes once this server applied through `index`. */
  awaitSync(requestId: number, index: Zxid): void {
    if (!this.pendingRequests.has(requestId)) return;
    if (compareZxid(index, this.committedZxid) <= 0) return this.answerSync(requestId);
    this.syncWaiters.add(requestId, index);
  }

  private answerSync(requestId: number): void {
    if (this.pendingRequests.delete(requestId)) this.reply(requestId, { ok: true, value: null });
  }

  private applyTxn(proposal: Proposal): Applied {
    if (proposal.txn.type === 'sync') return { result: { ok: true, value: null }, events: [] };
    if (proposal.txn.type === 'seats') {
      this.admission.applyCommitted(proposal.txn.op, proposal.zxid);
      return { result: { ok: true, value: null }, events: [] };
    }
    return this.machine.apply(proposal.txn.op, proposal.zxid);
  }

  /** A fresh machine holding the committed state: the leader's speculative copy starts from it. */
  cloneMachine(): StateMachine {
    const copy = this.createMachine();
    copy.restore(this.machine.snapshot());
    return copy;
  }

  /** A fresh machine restored from a peer's snapshot data, or null if it does not restore (a peer's junk). */
  restoredMachine(data: Snapshot['data']): StateMachine | null {
    const machine = this.createMachine();
    try {
      machine.restore(data);
    } catch (error) {
      this.trace(() => `snapshot data does not restore: ${error instanceof Error ? error.message : String(error)}`);
      return null;
    }
    return machine;
  }

  /** The committed state, for SNAP. */
  snapshotNow(): Snapshot {
    return { zxid: this.committedZxid, data: this.machine.snapshot(), digest: this.machine.digest(), seats: this.admission.snapshotSeats() };
  }

  private maybeSnapshot(): boolean {
    const sinceSnapshot = this.log.countThrough(this.committedZxid) - this.log.countThrough(this.snapshotZxid);
    if (sinceSnapshot < this.config.snapshotEveryTxns) return false;
    const snapshot = this.snapshotNow();
    this.persist({ kind: 'saveSnapshot', snapshot });
    this.snapshotZxid = this.committedZxid;
    this.emit({ kind: 'snapshot', zxid: snapshot.zxid, digest: snapshot.digest });
    this.mark(MARK.snapshotTaken);
    const keepFrom = this.log.countThrough(this.committedZxid) - this.config.retainLogTxns;
    if (keepFrom > 0) {
      const through = this.log.entryAt(keepFrom - 1).zxid;
      this.log.compactThrough(through);
      this.persist({ kind: 'compactLog', throughZxid: through });
      this.mark(MARK.logCompacted);
    }
    return true;
  }

  // ---------------------------------------------------------------- peers (for roles)

  /**
   * Voters this server can hear and that may vote: itself and those heard within syncLimit, each
   * only if its storage is the one the ensemble recorded for its seat (core/seats.ts).
   */
  canReachQuorum(): boolean {
    const reachable = this.heardVoters();
    if (this.admission.selfMayVote()) reachable.push(this.sid);
    return isQuorum(reachable, this.config.voterCount);
  }

  /** Other voters heard within syncLimit whose storage the ensemble recorded (those canReachQuorum counts). */
  heardVoters(): ServerId[] {
    const heard: ServerId[] = [];
    for (const [sid, tick] of this.lastHeardTick) {
      if (this.ticks - tick <= this.config.syncLimitTicks && this.admission.countsPeer(sid, this.admission.identityOf(sid))) heard.push(sid);
    }
    return heard;
  }

  /**
   * Whether `sid` is gone as far as this server knows (its link reported down, or left as leader
   * for its silence) and nothing came from it since: an election round need not wait for it.
   */
  linkDown(sid: ServerId): boolean {
    return this.linksDown.has(sid);
  }

  /** This server leaves its leader `sid` for a syncLimit of silence: gone, until heard again. */
  leftForSilence(sid: ServerId): void {
    this.linksDown.add(sid);
  }

  /** Voters other than this server. */
  otherVoters(): ServerId[] {
    const sids: ServerId[] = [];
    for (let sid = 1; sid <= this.config.voterCount; sid++) if (sid !== this.sid) sids.push(sid);
    return sids;
  }

  /** Observers this server has heard from recently. */
  knownObservers(): ServerId[] {
    const sids: ServerId[] = [];
    for (const [sid, tick] of this.lastHeardTick) {
      if (!isVoter(sid, this.config.voterCount) && this.ticks - tick <= this.config.syncLimitTicks) sids.push(sid);
    }
    return sids.sort((a, b) => a - b);
  }

  // ---------------------------------------------------------------- logging

  /** One log line in the fixed grammar `sid [STATE epoch e zxid z] text`. */
  trace(text: () => string): void {
    const log = this.hooks.log;
    if (!log) return;
    log(`${this.sid} [${this.role.state} epoch ${this.currentEpoch} zxid ${formatZxid(this.log.lastZxid)}] ${text()}`);
  }

  mark(name: Mark): void {
    this.hooks.mark?.(name);
  }

  emit(event: ServerEvent): void {
    this.hooks.event?.(event);
  }

  drop(message: Message, reason: string): void {
    this.trace(() => `ignored ${message.kind} from ${message.from}: ${reason}`);
  }

  private invariants(): void {
    assert(compareZxid(this.log.baseZxid, this.snapshotZxid) <= 0, () => `${this.sid}: log base ${formatZxid(this.log.baseZxid)} after snapshot ${formatZxid(this.snapshotZxid)}`);
    assert(compareZxid(this.snapshotZxid, this.committedZxid) <= 0, () => `${this.sid}: snapshot ${formatZxid(this.snapshotZxid)} after committed ${formatZxid(this.committedZxid)}`);
    assert(compareZxid(this.committedZxid, this.log.lastZxid) <= 0, () => `${this.sid}: committed ${formatZxid(this.committedZxid)} after last ${formatZxid(this.log.lastZxid)}`);
    assert(this.acceptedEpoch >= this.currentEpoch, () => `${this.sid}: acceptedEpoch ${this.acceptedEpoch} < currentEpoch ${this.currentEpoch}`);
  }
}
