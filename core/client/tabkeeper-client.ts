import type { Clock, TimerId } from '../clock.ts';
import type { ApplyResult } from '../state-machine.ts';
import type { MultiOp, Stat, TreeEvent, ZooKeeperErrorCode } from '../tree/index.ts';
import type { Json, ServerId } from '../types.ts';
import { compareZxid, formatZxid, maxZxid, ZERO_ZXID, type Zxid } from '../zxid.ts';
import { ZooKeeperError } from './errors.ts';
import type { ServerHandle } from './server-handle.ts';
import { Listeners } from '../listeners.ts';
import { WatchTable, type WatchedEvent, type Watcher } from './watches.ts';

/** The client's connection, as ZooKeeper's KeeperState: it is told to listeners on every change. */
export type ConnectionState = 'CONNECTING' | 'CONNECTED' | 'EXPIRED' | 'CLOSED';

export interface ClientOptions {
  /** Unique per session (a UUID in a tab, a seeded id in the simulator). */
  readonly sessionId: string;
  readonly sessionTimeoutMs: number;
  readonly clock: Clock;
  /**
   * A server to (re)connect to, preferably not `previous`; null if none is reachable now. A
   * client pinned to one server (a forced seat) returns that one every time.
   */
  readonly pickServer: (previous: ServerId | null) => ServerHandle | null;
  /**
   * How often a client that is not connected looks for a server again. Default 20 ms. A
   * connected client never polls: its server tells it when it stops serving; and a connecting
   * one also tries again as soon as the server it found serves or catches up, so a client
   * pinned to one server (a tab's) can set this long.
   */
  readonly pollMs?: number;
  /**
   * Called whenever a promise of this client settles. The simulator passes
   * `world.noteSettledPromise` so that awaiting code resumes at the simulated time it settled.
   */
  readonly onPromiseSettled?: () => void;
  /**
   * Take over a session created elsewhere (a ZooKeeper client reconnecting with its session id):
   * no createSession; SessionExpired if the server does not hold it. `lastSeenZxid` is what the
   * client has seen, which the server must have applied before it serves this client.
   */
  readonly resume?: { readonly lastSeenZxid: Zxid };
  /**
   * Exactly-once writes (core/tree/exactly-once.ts): every write carries (session, request
   * number), and one whose outcome is unknown (ConnectionLoss, OperationTimeout) is not failed
   * but sent again, with the same number, once the client is connected again, on whichever
   * server: the cluster applies it at most once and answers its original result. A write still
   * unanswered when the session expires fails ConnectionLoss (its outcome is unknown).
   */
  readonly exactlyOnce?: boolean;
}

/**
 * A write numbered by the caller: a client that relays another's requests (a tab answering a
 * CLI, client-app/app/gateway-sessions.ts) passes the number the CLI chose, so that the CLI's
 * retry of it on another tab is recognised. Such writes are retried like exactlyOnce ones. A
 * session's numbers come from one source: do not mix them with an exactlyOnce client's own.
 */
export interface WriteOptions {
  readonly requestNumber?: number;
}

/** One operation as the client queues it. Reads run on the attached server's committed state. */
export type ClientCall =
  | { readonly kind: 'write'; readonly request: Json; readonly path: string | null; readonly requestNumber?: number }
  | { readonly kind: 'read'; readonly request: ReadCall; readonly watch?: Watcher; readonly synced: boolean }
  | { readonly kind: 'sync' }
  | { readonly kind: 'close' };

export interface ReadCall {
  readonly type: 'getData' | 'exists' | 'getChildren';
  readonly path: string;
}

/** Errors after which the client cannot know whether its operation happened; it moves on to another server. */
const CONNECTION_ERRORS: ReadonlySet<string> = new Set(['ConnectionLoss', 'OperationTimeout']);

interface Queued {
  readonly call: ClientCall;
  readonly done: (result: ApplyResult) => void;
}

/** A call sent to the server; its result waits here until every earlier call's was delivered. */
interface Sent {
  readonly queued: Queued;
  result: ApplyResult | null;
  /** Set when the client gave up on it (ConnectionLoss): a late answer from the server is ignored. */
  abandoned: boolean;
}

/**
 * A ZooKeeper client of a TabKeeper cluster (ZooKeeper's ZooKeeper class): promise-returning
 * create / delete / exists / getData / setData / getChildren / multi / sync / close with
 * ZooKeeper's names and errors, one session, one-shot watches, and connection-state events.
 *
 * - Order: calls are pipelined (many in flight, as ZooKeeper's clients do) and their results
 *   are delivered in the order the calls were made (FIFO client order). Writes and syncs go out
 *   at once: the server forwards them in order over its FIFO link and the leader proposes them
 *   in that order. A plain read waits until every earlier call completed; a synced read sends
 *   its sync at once and holds later calls back until it has read (so it sees the session's
 *   earlier writes and none of its later ones).
 * - Sessions: created by a committed txn at first connection, kept alive by touches that reach
 *   the leader, expired by the leader when the client goes silent for the timeout.
 * - Moving: when its server stops serving, the client fails what was in flight with
 *   ConnectionLoss and reconnects to a server that has seen at least everything it has (so
 *   reads never go back in time), keeping its session, ephemerals and watches.
 */
export class TabKeeperClient {
  private connectionState: ConnectionState = 'CONNECTING';
  private server: ServerHandle | null = null;
  private sessionCreated = false;
  private creatingSession = false;
  private readonly queue: Queued[] = [];
  private readonly inFlight: Sent[] = [];
  /** Synced reads in flight: later calls wait for them. */
  private barriers = 0;
  /** The newest zxid this client has seen; a server behind it must not serve this client. */
  private lastSeenZxid: Zxid = ZERO_ZXID;
  /** The committed zxid of the server that completed the last call (reads were served at it). */
  private lastServedZxid: Zxid = ZERO_ZXID;
  private readonly watches = new WatchTable();
  private unsubscribe: (() => void) | null = null;
  private unsubscribeServing: (() => void) | null = null;
  /** While connecting: the server found last, and how to stop listening to it. */
  private candidate: { readonly server: ServerHandle; readonly stop: () => void } | null = null;
  private timer: TimerId | null = null;
  private readonly stateListeners = new Listeners<[ConnectionState]>();
  /** The number of the next numbered write (exactlyOnce). */
  private nextRequestNumber = 1;
  /** Numbered writes sent at least once: their outcome may be known to the cluster only. */
  private readonly attempted = new WeakSet<Queued>();

  constructor(private readonly options: ClientOptions) {
    if (options.resume !== undefined) {
      this.sessionCreated = true;
      this.lastSeenZxid = options.resume.lastSeenZxid;
    }
    this.poll();
  }

  get state(): ConnectionState {
    return this.connectionState;
  }

  get sessionId(): string {
    return this.options.sessionId;
  }

  /** The zxid at which the last completed call was served: never decreases for one client. */
  get servedZxid(): Zxid {
    return this.lastServedZxid;
  }

  /** The server the client is attached to, if any. */
  get serverId(): ServerId | null {
    return this.connectionState === 'CONNECTED' ? (this.server?.sid ?? null) : null;
  }

  onStateChange(listener: (state: ConnectionState) => void): () => void {
    return this.stateListeners.add(listener);
  }

  // ---------------------------------------------------------------- the ZooKeeper API

  async create(path: string, data: string, flags: { ephemeral?: boolean; sequential?: boolean } & WriteOptions = {}): Promise<string> {
    const request = { type: 'create', path, data, ephemeral: flags.ephemeral ?? false, sequential: flags.sequential ?? false, sessionId: this.sessionId };
    const value = await this.run({ kind: 'write', request, path, requestNumber: flags.requestNumber });
    return (value as { path: string }).path;
  }

  async delete(path: string, version = -1, options: WriteOptions = {}): Promise<void> {
    await this.run({ kind: 'write', request: { type: 'delete', path, version }, path, requestNumber: options.requestNumber });
  }

  async setData(path: string, data: string, version = -1, options: WriteOptions = {}): Promise<Stat> {
    return (await this.run({ kind: 'write', request: { type: 'setData', path, data, version }, path, requestNumber: options.requestNumber })) as Stat;
  }

  async exists(path: string, options: { watch?: Watcher; sync?: boolean } = {}): Promise<Stat | null> {
    return (await this.run(this.readCall('exists', path, options))) as Stat | null;
  }

  async getData(path: string, options: { watch?: Watcher; sync?: boolean } = {}): Promise<{ data: string; stat: Stat }> {
    return (await this.run(this.readCall('getData', path, options))) as { data: string; stat: Stat };
  }

  async getChildren(path: string, options: { watch?: Watcher; sync?: boolean } = {}): Promise<string[]> {
    return ((await this.run(this.readCall('getChildren', path, options))) as { children: string[] }).children;
  }

  /** All or nothing. On failure the error names the failing op: `details.failedIndex` and per-op `details.results`. */
  async multi(ops: readonly MultiOp[]): Promise<Json[]> {
    const value = await this.run({ kind: 'write', request: { type: 'multi', ops: ops as Json, sessionId: this.sessionId }, path: null });
    return (value as { results: Json[] }).results;
  }

  /** Once it resolves, reads on this client reflect every write committed before it was called. */
  async sync(_path = '/'): Promise<void> {
    await this.run({ kind: 'sync' });
  }

  /** Ends the session: its ephemeral nodes are deleted by the same committed txn. */
  async close(): Promise<void> {
    if (this.connectionState === 'CLOSED') return;
    await this.run({ kind: 'close' });
  }

  private readCall(type: ReadCall['type'], path: string, options: { watch?: Watcher; sync?: boolean }): ClientCall {
    return { kind: 'read', request: { type, path }, watch: options.watch, synced: options.sync ?? false };
  }

  private run(call: ClientCall): Promise<Json> {
    return new Promise((resolve, reject) =>
      this.call(call, (result) => {
        if (result.ok) resolve(result.value);
        else reject(errorOf(result, call));
        this.options.onPromiseSettled?.();
      }),
    );
  }

  /**
   * The callback form of every operation: `done` runs synchronously when the operation settles
   * (the simulator records call and return times with it; promises would resume later).
   */
  call(call: ClientCall, done: (result: ApplyResult) => void): void {
    if (this.connectionState === 'CLOSED') return done({ ok: false, error: call.kind === 'close' ? 'ConnectionLoss' : 'SessionExpired' });
    if (this.connectionState === 'EXPIRED') return done({ ok: false, error: 'SessionExpired' });
    if (call.kind === 'write' && (call.requestNumber !== undefined || this.options.exactlyOnce)) {
      const request = { type: 'once', sessionId: this.sessionId, requestNumber: call.requestNumber ?? this.nextRequestNumber++, request: call.request };
      call = { kind: 'write', request, path: call.path };
    }
    this.queue.push({ call, done });
    this.pump();
  }

  /** Whether a call is a numbered write (exactlyOnce, or numbered by the caller): this client retries it itself. */
  private retried(queued: Queued): boolean {
    return queued.call.kind === 'write' && (queued.call.request as { type?: unknown }).type === 'once';
  }

  // ---------------------------------------------------------------- running calls

  private pump(): void {
    while (this.connectionState === 'CONNECTED' && this.barriers === 0 && this.queue.length > 0) {
      const head = this.queue[0]!;
      const plainRead = head.call.kind === 'read' && !head.call.synced;
      if (plainRead && this.inFlight.length > 0) return;
      this.queue.shift();
      const sent: Sent = { queued: head, result: null, abandoned: false };
      this.attempted.add(head);
      this.inFlight.push(sent);
      if (head.call.kind === 'read' && head.call.synced) this.barriers++;
      this.execute(sent);
    }
  }

  private execute(sent: Sent): void {
    const server = this.server!;
    const call = sent.queued.call;
    const complete = (result: ApplyResult) => this.complete(sent, result);
    switch (call.kind) {
      case 'write':
        return server.request('op', call.request, complete);
      case 'sync':
        return server.request('sync', null, complete);
      case 'close':
        return server.request('op', { type: 'closeSession', sessionId: this.sessionId }, complete);
      case 'read':
        if (!call.synced) return complete(server.query(call.request as unknown as Json));
        // A read ordered after a sync, on the same server, in the same step: linearizable.
        return server.request('sync', null, (result) => complete(result.ok ? server.query(call.request as unknown as Json) : result));
    }
  }

  /** Records a result and delivers, in call order, every result that no earlier call holds back. */
  private complete(sent: Sent, result: ApplyResult): void {
    if (sent.abandoned || sent.result !== null) return;
    sent.result = result;
    if (sent.queued.call.kind === 'read' && sent.queued.call.synced) this.barriers--;
    while (this.inFlight.length > 0 && this.inFlight[0]!.result !== null) {
      const head = this.inFlight.shift()!;
      // A connection error here disconnects, which fails (and empties) what is still in flight.
      this.deliver(head.queued, head.result!);
    }
    this.pump();
  }

  private deliver(queued: Queued, result: ApplyResult): void {
    const server = this.server;
    if (server) {
      this.lastServedZxid = server.committedZxid;
      this.lastSeenZxid = maxZxid(this.lastSeenZxid, server.committedZxid);
    }
    if (result.ok && queued.call.kind === 'read' && queued.call.watch) this.setWatch(queued.call.request, queued.call.watch, result.value);
    if (result.ok && queued.call.kind === 'close') this.setState('CLOSED');
    if (!result.ok && CONNECTION_ERRORS.has(result.error) && this.retried(queued)) {
      // Sent again, with the same number, once connected: first of what keepNumberedWrites keeps.
      this.inFlight.unshift({ queued, result: null, abandoned: false });
      if (this.connectionState === 'CONNECTED') this.disconnect();
      else this.keepNumberedWrites();
      return;
    }
    queued.done(result);
    if (!result.ok && CONNECTION_ERRORS.has(result.error)) this.disconnect();
    else if (!result.ok && result.error === 'SessionExpired') this.expire();
  }

  /** Fails every call in flight with `error`, in order; their answers, if any come, are ignored. */
  private failInFlight(error: string): void {
    const sent = this.inFlight.splice(0);
    this.barriers = 0;
    for (const each of sent) each.abandoned = true;
    for (const each of sent) each.queued.done(each.result ?? { ok: false, error });
  }

  private setWatch(request: ReadCall, watcher: Watcher, value: Json): void {
    if (request.type === 'getChildren') {
      this.watches.add('children', request.path, { watcher, seen: zxidToken((value as { stat: Stat }).stat.pzxid) });
    } else {
      const stat = request.type === 'exists' ? (value as Stat | null) : (value as { stat: Stat }).stat;
      this.watches.add('data', request.path, { watcher, seen: stat ? zxidToken(stat.mzxid) : 'absent' });
    }
  }

  // ---------------------------------------------------------------- connection

  /**
   * The one timer of a client: while connecting it looks for a server every `pollMs`; while
   * connected it touches the session every third of its timeout (ZooKeeper's ping interval).
   */
  private poll(): void {
    this.timer = null;
    if (this.connectionState === 'CLOSED' || this.connectionState === 'EXPIRED') return;
    const server = this.server;
    if (server && (server.stopped || !server.serving)) this.disconnect();
    if (this.connectionState === 'CONNECTING') this.tryConnect();
    else this.server?.touchSessions([this.sessionId]);
    this.schedulePoll();
  }

  private schedulePoll(): void {
    if (this.timer !== null) this.options.clock.clearTimer(this.timer);
    if (this.connectionState === 'CLOSED' || this.connectionState === 'EXPIRED') return void (this.timer = null);
    const delayMs = this.connectionState === 'CONNECTED' ? this.options.sessionTimeoutMs / 3 : (this.options.pollMs ?? 20);
    this.timer = this.options.clock.setTimer(delayMs, () => this.poll());
  }

  private tryConnect(): void {
    if (this.creatingSession) return;
    const server = this.server && !this.server.stopped && this.server.serving ? this.server : this.options.pickServer(this.server?.sid ?? null);
    // A server behind what this client has seen would let its reads go back in time.
    if (!server || !server.serving || compareZxid(server.committedZxid, this.lastSeenZxid) < 0) {
      this.server = server ?? this.server;
      this.watchCandidate(server);
      return;
    }
    this.watchCandidate(null);
    this.server = server;
    if (!this.sessionCreated) return this.createSession(server);
    if (!server.hasSession(this.sessionId)) return this.expire();
    this.attach(server);
  }

  /**
   * While connecting, tries again as soon as `server` serves or has applied what this client
   * has seen, instead of waiting for the next poll. The retry runs from a zero-delay timer: the
   * events come from inside the server's step, which must not be re-entered.
   */
  private watchCandidate(server: ServerHandle | null): void {
    if (this.candidate?.server === server) return;
    this.candidate?.stop();
    this.candidate = null;
    if (server === null) return;
    let scheduled = false;
    const retry = () => {
      if (scheduled || this.connectionState !== 'CONNECTING') return;
      scheduled = true;
      this.options.clock.setTimer(0, () => {
        scheduled = false;
        if (this.connectionState === 'CONNECTING' && this.candidate?.server === server) this.poll();
      });
    };
    const stopServing = server.onServingChange((serving) => serving && retry());
    const stopApplied = server.onApplied(() => {
      if (server.serving && compareZxid(server.committedZxid, this.lastSeenZxid) >= 0) retry();
    });
    this.candidate = { server, stop: () => (stopServing(), stopApplied()) };
  }

  private createSession(server: ServerHandle): void {
    this.creatingSession = true;
    const request = { type: 'createSession', sessionId: this.sessionId, timeoutMs: this.options.sessionTimeoutMs };
    server.request('op', request, (result) => {
      this.creatingSession = false;
      if (!result.ok) return; // the next poll tries again, perhaps elsewhere
      this.sessionCreated = true;
      this.lastSeenZxid = maxZxid(this.lastSeenZxid, server.committedZxid);
      if (this.server === server && server.serving) this.attach(server);
    });
  }

  private attach(server: ServerHandle): void {
    this.unsubscribe?.();
    this.unsubscribe = server.onApplied((applied) => {
      let fired = 0;
      for (const event of applied.events) fired += this.watches.trigger(event as unknown as TreeEvent);
      // Watchers often resolve promises: let awaiting code resume now (see onPromiseSettled).
      if (fired > 0) this.options.onPromiseSettled?.();
    });
    this.unsubscribeServing?.();
    this.unsubscribeServing = server.onServingChange((serving) => {
      if (serving || this.server !== server) return;
      this.disconnect();
      this.schedulePoll();
    });
    this.setState('CONNECTED');
    server.touchSessions([this.sessionId]);
    this.schedulePoll();
    this.renewWatches(server);
    this.pump();
  }

  /** Watches set on another server: fire those whose node changed since, keep the others (SetWatches). */
  private renewWatches(server: ServerHandle): void {
    for (const [kind, table] of [['data', this.watches.data], ['children', this.watches.children]] as const) {
      for (const [path, registrations] of [...table]) {
        const current = server.query({ type: 'exists', path });
        const stat = current.ok ? (current.value as Stat | null) : null;
        const now = stat ? zxidToken(kind === 'data' ? stat.mzxid : stat.pzxid) : 'absent';
        const changed = registrations.filter((registration) => registration.seen !== now);
        if (changed.length === 0) continue;
        table.set(path, registrations.filter((registration) => registration.seen === now));
        if (table.get(path)!.length === 0) table.delete(path);
        for (const { watcher, seen } of changed) watcher({ type: missedEventType(kind, seen, stat !== null), path });
        this.options.onPromiseSettled?.();
      }
    }
  }

  /**
   * Stops talking to the cluster without closing the session, as a killed process does: the
   * session lives on until the leader expires it. Pending calls fail with ConnectionLoss.
   */
  abandon(): void {
    if (this.timer !== null) this.options.clock.clearTimer(this.timer);
    this.timer = null;
    this.disconnect();
    this.detach();
    this.server = null;
    this.setState('CLOSED');
  }

  private disconnect(): void {
    if (this.connectionState !== 'CONNECTED') return;
    this.detach();
    this.setState('CONNECTING');
    if (this.server !== null) this.watchCandidate(this.server);
    // Look for a server every pollMs from now on, however the loss was learned (a serving change,
    // or a call answered ConnectionLoss): the connected touch timer would wait a third of the
    // session timeout before the first try.
    this.schedulePoll();
    // What was sent or queued behind a lost call fails too, as in ZooKeeper: the caller decides
    // what to retry. Numbered writes are the exception: they wait to be sent again.
    this.keepNumberedWrites();
  }

  /**
   * Exactly-once: numbered writes in flight or queued wait, in order, to be sent again once
   * connected; answers already in are delivered; reads and syncs fail ConnectionLoss as before.
   */
  private keepNumberedWrites(): void {
    const sent = this.inFlight.splice(0);
    this.barriers = 0;
    for (const each of sent) each.abandoned = true;
    const retry: Queued[] = [];
    for (const each of sent) {
      const lost = each.result === null || (!each.result.ok && CONNECTION_ERRORS.has(each.result.error));
      if (lost && this.retried(each.queued)) retry.push(each.queued);
      else each.queued.done(each.result ?? { ok: false, error: 'ConnectionLoss' });
    }
    for (const queued of this.queue.splice(0)) {
      if (this.retried(queued)) retry.push(queued);
      else queued.done({ ok: false, error: 'ConnectionLoss' });
    }
    this.queue.push(...retry);
  }

  private expire(): void {
    this.detach();
    this.setState('EXPIRED');
    if (this.options.exactlyOnce) this.keepNumberedWrites();
    else this.failInFlight('SessionExpired');
    // A numbered write already sent may have been applied: its outcome is unknown, not "expired".
    for (const queued of this.queue.splice(0)) queued.done({ ok: false, error: this.attempted.has(queued) ? 'ConnectionLoss' : 'SessionExpired' });
  }

  private detach(): void {
    this.watchCandidate(null);
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.unsubscribeServing?.();
    this.unsubscribeServing = null;
  }

  private setState(state: ConnectionState): void {
    if (state === this.connectionState) return;
    this.connectionState = state;
    if ((state === 'CLOSED' || state === 'EXPIRED') && this.timer !== null) this.options.clock.clearTimer(this.timer);
    this.stateListeners.emit(state);
  }

  /** For tests and the UI: zxid the client has seen, and how many watches are set. */
  describe(): string {
    return `${this.sessionId} ${this.connectionState} on ${this.server?.sid ?? '-'} seen ${formatZxid(this.lastSeenZxid)} watches ${this.watches.size}`;
  }
}

function zxidToken(zxid: { epoch: number; counter: number }): string {
  return `${zxid.epoch}:${zxid.counter}`;
}

function missedEventType(kind: 'data' | 'children', seen: string, existsNow: boolean): WatchedEvent['type'] {
  if (!existsNow) return 'NodeDeleted';
  if (kind === 'children') return 'NodeChildrenChanged';
  return seen === 'absent' ? 'NodeCreated' : 'NodeDataChanged';
}

function errorOf(result: Extract<ApplyResult, { ok: false }>, call: ClientCall): ZooKeeperError {
  const path = call.kind === 'write' ? call.path : call.kind === 'read' ? call.request.path : null;
  return new ZooKeeperError(result.error as ZooKeeperErrorCode, path, result.details ?? null);
}
