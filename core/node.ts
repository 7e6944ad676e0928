import type { Clock, TimerId } from './clock.ts';
import type { ServerConfig } from './config.ts';
import { decodeMessage } from './messages.ts';
import type { AppliedTxn, Input, Ready, ServerReader, ServerView } from './ready.ts';
import { ZabServer, type ServerHooks } from './server.ts';
import type { ApplyResult, StateMachineFactory } from './state-machine.ts';
import type { PersistOp, Storage } from './storage.ts';
import type { Transport } from './transport.ts';
import type { Envelope } from './messages.ts';
import type { Json, ServerId } from './types.ts';
import { Listeners } from './listeners.ts';
import type { Zxid } from './zxid.ts';
import type { DurableMark } from './ready.ts';

export interface NodeOptions {
  readonly config: ServerConfig;
  readonly createMachine: StateMachineFactory;
  readonly transport: Transport;
  readonly storage: Storage;
  readonly clock: Clock;
  /** Milliseconds per protocol tick. */
  readonly tickMs: number;
  /** A client request that has not completed after this long fails with OperationTimeout. */
  readonly requestTimeoutMs: number;
  readonly hooks?: ServerHooks;
  /**
   * Optional: runs `release` soon, after what the current task is still doing (the browser passes
   * `queueMicrotask`, the simulator an event later in the same instant). A client request then
   * starts no storage write until `release` runs, so requests submitted one after another in the
   * same turn (many calls of one session in flight) are one write. Without it a request's write
   * starts at once.
   */
  readonly deferWrites?: (release: () => void) => void;
}

/** Counters a node keeps about what it refused at its boundary. */
export interface NodeStats {
  droppedMessages: number;
  lastDropReason: string | null;
}

interface StorageJob {
  readonly incarnation: number;
  readonly ops: readonly PersistOp[];
  readonly after: readonly Envelope[];
  readonly mark: DurableMark;
}

interface PendingRequest {
  readonly resolve: (result: ApplyResult) => void;
  /** Clock time after which the request fails with OperationTimeout (checked on each tick). */
  readonly deadlineMs: number;
}

/**
 * The driver: the only code that touches a transport, a storage and a clock. It feeds the
 * ZabServer messages and ticks, and carries out each Ready in the order the protocol needs:
 * send `messages`, write `persist` (one atomic batch; batches never overlap, and whatever
 * queued while one was in flight goes into the next: group commit), then send
 * `messagesAfterPersist` and report `Persisted`. On a role change it fences writes of the old
 * incarnation, waits for the one in flight, reloads storage and steps `Recovered`.
 */
export class ZabNode {
  /** Private: outside code reads it through `inspect()` and `view()`, and changes it only through inputs. */
  private readonly server: ZabServer;
  readonly stats: NodeStats = { droppedMessages: 0, lastDropReason: null };
  private readonly queue: StorageJob[] = [];
  private writing = false;
  /** Inside a batch of messages the transport delivers together: no write starts until it ends. */
  private inBatch = false;
  /** A client request was submitted and `deferWrites` has not released the writes yet. */
  private heldForRequests = false;
  private reloading = false;
  private reloadWanted = false;
  private isStopped = false;
  private tickTimer: TimerId | null = null;
  private nextRequestId: number;
  private readonly pending = new Map<number, PendingRequest>();
  private readonly appliedListeners = new Listeners<[AppliedTxn]>();
  private readonly failureListeners = new Listeners<[unknown]>();
  private readonly servingListeners = new Listeners<[boolean]>();
  /** `serving` as listeners last heard it. */
  private servingReported = false;

  constructor(private readonly options: NodeOptions) {
    this.server = new ZabServer(options.config, options.createMachine, options.hooks);
    // Request ids must not repeat across restarts: a txn of a previous life may still commit.
    this.nextRequestId = Math.floor(options.clock.now() * 1000);
    options.transport.onMessage((from, data) => this.receive(from, data));
    options.transport.onLinkUp((peer) => this.input({ kind: 'LinkUp', peer }));
    options.transport.onLinkDown((peer) => this.input({ kind: 'LinkDown', peer }));
    options.transport.onBatch?.({
      begin: () => {
        this.inBatch = true;
      },
      end: () => {
        this.inBatch = false;
        this.pump();
      },
    });
  }

  get sid(): ServerId {
    return this.server.sid;
  }

  /** Loads storage, then starts looking for a leader and ticking. */
  start(): void {
    this.reloadWanted = true;
    this.pump();
    this.scheduleTick();
  }

  /** Stops everything at once, as a crash or a closed tab does. Pending requests see ConnectionLoss. */
  stop(): void {
    if (this.isStopped) return;
    this.isStopped = true;
    if (this.tickTimer !== null) this.options.clock.clearTimer(this.tickTimer);
    for (const [requestId] of this.pending) this.settle(requestId, { ok: false, error: 'ConnectionLoss' });
    this.reportServing();
  }

  view(): ServerView {
    return this.server.view();
  }

  /** The server's live state, read-only (no digest: cheap enough for every refresh of a page). */
  inspect(): ServerReader {
    return this.server;
  }

  /** Every txn this server applies, in zxid order. Returns a function that stops listening. */
  onApplied(listener: (applied: AppliedTxn) => void): () => void {
    return this.appliedListeners.add(listener);
  }

  /** Whether this server serves clients now (cheaper than `view()`, which digests the state). */
  get serving(): boolean {
    return !this.isStopped && this.server.serving;
  }

  get committedZxid(): Zxid {
    return this.server.committedZxid;
  }

  get stopped(): boolean {
    return this.isStopped;
  }

  /**
   * UNSAFE recovery for a cluster that refuses to serve because a quorum of seats lost its
   * storage (core/seats.ts): this server counts every storage present until a new seat record
   * commits. Writes that only the lost storages held are gone for good. Use it on the seat
   * whose storage holds the most recent history.
   */
  forceNewCluster(): void {
    this.input({ kind: 'ForceNewCluster' });
  }

  /** Clients attached here are alive: keeps their sessions from expiring at the leader. */
  touchSessions(sessionIds: readonly string[]): void {
    this.input({ kind: 'TouchSessions', sessionIds });
  }

  /** Whether the session exists in this server's committed state. */
  hasSession(sessionId: string): boolean {
    return this.server.hasSession(sessionId);
  }

  /**
   * Called whenever `serving` changes (a client attached here then moves on or resumes at once,
   * without polling). Returns a function that stops listening.
   */
  onServingChange(listener: (serving: boolean) => void): () => void {
    return this.servingListeners.add(listener);
  }

  private reportServing(): void {
    const serving = this.serving;
    if (serving === this.servingReported) return;
    this.servingReported = serving;
    this.servingListeners.emit(serving);
  }

  /** Storage failures and broken invariants stop the node; the UI must show them. */
  onFailure(listener: (error: unknown) => void): void {
    this.failureListeners.add(listener);
  }

  // ---------------------------------------------------------------- clients

  /** A write through the log; resolves with the state machine's result once committed here. */
  submit(op: Json): Promise<ApplyResult> {
    return new Promise((resolve) => this.request('op', op, resolve));
  }

  /** Resolves once every write committed before the call is applied on this server. */
  sync(): Promise<ApplyResult> {
    return new Promise((resolve) => this.request('sync', null, resolve));
  }

  /** A plain local read: sequentially consistent, not linearizable (as ZooKeeper's reads). */
  query(op: Json): ApplyResult {
    if (this.isStopped) return { ok: false, error: 'ConnectionLoss' };
    return this.server.query(op);
  }

  /**
   * The callback form of `submit` and `sync`: `done` runs synchronously inside the step that
   * settles the request (the simulator needs that to stay on simulated time; promises would
   * resume a microtask later). It runs at once with ConnectionLoss on a stopped node.
   */
  request(type: 'op' | 'sync', op: Json, done: (result: ApplyResult) => void): void {
    if (this.isStopped) return done({ ok: false, error: 'ConnectionLoss' });
    // Held before the request is stepped, so the release comes before the transport's own flush
    // of what this turn sends: the requests of the turn leave and are written together.
    if (this.options.deferWrites !== undefined && !this.heldForRequests) {
      this.heldForRequests = true;
      this.options.deferWrites(() => {
        this.heldForRequests = false;
        this.pump();
      });
    }
    const requestId = this.nextRequestId++;
    // No timer per request: ticks sweep the deadlines (Map order is request order, and every
    // request gets the same timeout, so the sweep stops at the first one not yet due).
    this.pending.set(requestId, { resolve: done, deadlineMs: this.options.clock.now() + this.options.requestTimeoutMs });
    this.input({ kind: 'ClientRequest', requestId, type, op });
  }

  private settle(requestId: number, result: ApplyResult): void {
    const pending = this.pending.get(requestId);
    if (!pending) return;
    this.pending.delete(requestId);
    pending.resolve(result);
  }

  private expireRequests(): void {
    const now = this.options.clock.now();
    for (const [requestId, pending] of this.pending) {
      if (pending.deadlineMs > now) return;
      this.settle(requestId, { ok: false, error: 'OperationTimeout' });
    }
  }

  // ---------------------------------------------------------------- inputs

  private receive(from: ServerId, data: unknown): void {
    if (this.isStopped) return;
    const decoded = decodeMessage(data);
    if (!decoded.ok) return this.refuse(from, decoded.reason);
    if (decoded.message.from !== from) return this.refuse(from, `claims to be from ${decoded.message.from}`);
    this.input(decoded.message);
  }

  private refuse(from: ServerId, reason: string): void {
    this.stats.droppedMessages++;
    this.stats.lastDropReason = reason;
    this.options.hooks?.log?.(`${this.sid} refused message from ${from}: ${reason}`);
  }

  private input(input: Input): void {
    this.guarded(() => this.server.step(input));
  }

  private scheduleTick(): void {
    this.tickTimer = this.options.clock.setTimer(this.options.tickMs, () => {
      this.guarded(() => this.server.tick(this.options.clock.now()));
      this.expireRequests();
      if (!this.isStopped) this.scheduleTick();
    });
  }

  /**
   * Runs one step of the protocol and carries out its Ready. A broken invariant (an assertion)
   * stops this server at once, as a crash would, and is reported to the failure listeners:
   * a server whose state is wrong must not send, persist or answer anything more.
   */
  private guarded(step: () => void): void {
    if (this.isStopped) return;
    try {
      step();
      this.processReady();
    } catch (error) {
      this.fail(error);
    }
    this.reportServing();
  }

  // ---------------------------------------------------------------- Ready

  private processReady(): void {
    while (!this.isStopped && this.server.hasReady()) this.carryOut(this.server.ready());
  }

  private carryOut(ready: Ready): void {
    for (const { to, message } of ready.messages) this.options.transport.send(to, message);
    // Answers go out in zxid order with the txns applied around them, so a client sees the watch
    // events of earlier txns before the answer to its own (ZooKeeper's ordering guarantee).
    const replies = new Map(ready.replies.map((reply) => [reply.requestId, reply.result]));
    for (const applied of ready.applied) {
      this.appliedListeners.emit(applied);
      const { originator, requestId } = applied.proposal.txn;
      const reply = originator === this.sid ? replies.get(requestId) : undefined;
      if (reply !== undefined) {
        replies.delete(requestId);
        this.settle(requestId, reply);
      }
    }
    for (const [requestId, result] of replies) this.settle(requestId, result);
    if (ready.persist.length > 0 || ready.messagesAfterPersist.length > 0) {
      this.queue.push({ incarnation: ready.incarnation, ops: ready.persist, after: ready.messagesAfterPersist, mark: ready.mark });
    }
    if (ready.reload) {
      // Fence: writes not yet started belong to the old role; the one in flight finishes first.
      this.removeStaleJobs();
      this.reloadWanted = true;
    }
    this.pump();
  }

  private removeStaleJobs(): void {
    const current = this.server.incarnation;
    for (let index = this.queue.length - 1; index >= 0; index--) {
      if (this.queue[index]!.incarnation !== current) this.queue.splice(index, 1);
    }
  }

  /**
   * Starts the next storage write or the pending reload; never two at once, and none in the
   * middle of a batch of received messages or of a turn of client requests (their end pumps
   * again): with many requests in flight, they are then one write, not the first alone and the
   * rest behind its fsync.
   */
  private pump(): void {
    if (this.isStopped || this.writing || this.reloading || this.inBatch || this.heldForRequests) return;
    if (this.reloadWanted) {
      void this.reload();
      return;
    }
    if (this.queue.length === 0) return;
    const jobs = this.queue.splice(0, this.queue.length);
    // What is to send goes out before the write starts (a follower's disk write then overlaps
    // the leader's). Otherwise a transport that batches sends what one task produced together.
    this.options.transport.flush?.();
    void this.write(jobs);
  }

  private async write(jobs: StorageJob[]): Promise<void> {
    this.writing = true;
    const ops = jobs.flatMap((job) => job.ops);
    try {
      if (ops.length > 0) await this.options.storage.write(ops);
    } catch (error) {
      return this.fail(error);
    }
    this.writing = false;
    const last = jobs[jobs.length - 1]!;
    this.guarded(() => {
      if (last.incarnation !== this.server.incarnation) return; // fenced: written by an old role
      for (const { to, message } of cumulativeAcks(jobs)) this.options.transport.send(to, message);
      this.server.step({ kind: 'Persisted', incarnation: last.incarnation, mark: last.mark });
    });
    this.pump();
  }

  private async reload(): Promise<void> {
    this.reloading = true;
    this.reloadWanted = false;
    let state;
    try {
      state = await this.options.storage.loadState();
    } catch (error) {
      return this.fail(error);
    }
    this.reloading = false;
    this.guarded(() => this.server.step({ kind: 'Recovered', incarnation: this.server.incarnation, state, storageId: this.options.storage.storageId }));
    this.pump();
  }

  private fail(error: unknown): void {
    if (this.isStopped) return;
    this.options.hooks?.log?.(`${this.sid} stopped: ${error instanceof Error ? error.message : String(error)}`);
    this.stop();
    this.failureListeners.emit(error);
  }
}

/**
 * The messages to send once a group of jobs is durable, in order, with every proposal ack that a
 * later ack to the same peer in the group covers left out: acks are cumulative (the leader keeps
 * the highest zxid a follower acked), so a group commit of many proposals sends one ack.
 */
function cumulativeAcks(jobs: readonly StorageJob[]): Envelope[] {
  const all = jobs.flatMap((job) => job.after);
  const lastAck = new Map<ServerId, number>();
  all.forEach(({ to, message }, index) => {
    if (message.kind === 'transaction_acknowledge') lastAck.set(to, index);
  });
  if (lastAck.size === 0) return all;
  return all.filter(({ to, message }, index) => message.kind !== 'transaction_acknowledge' || lastAck.get(to) === index);
}
