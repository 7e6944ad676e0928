import * as v from 'valibot';
import { io, type Socket } from 'socket.io-client';
import { roomToken } from '../protocol/cluster-key.ts';
import type { ClientToServerEvents, ErrorCode, ErrorEvent, ServerToClientEvents } from '../protocol/signaling-events.ts';
import { clientIdFor, newSessionSecret } from '../protocol/session-secret.ts';
import { backoffMs } from '../lib/backoff.ts';
import type { Json } from '../core/types.ts';
import { GatewayResultSchema, isWriteOp, RESULT_VALUE_SCHEMAS, type GatewayOp, type GatewayResult } from '../protocol/gateway-ops.ts';

/**
 * The CLI's connection to a cluster through the signaling server's gateway: it attaches to one
 * tab (a random live seat, or the one `seat` forces), sends each operation with a requestId and
 * matches the tab's reply to it.
 *
 * Exactly-once, which ZooKeeper's own clients do not offer: `run` numbers every write (create,
 * set, delete) 1, 2, 3… in this client's session, and when its tab goes away with an operation
 * in flight (the tab left: `gateway-lost`; the signaling connection dropped; the tab answered
 * ConnectionLoss) it attaches again, to another live seat unless a seat was forced (then to
 * that seat again, which a reloaded tab reclaims), and sends the same operation there, a write
 * with the same number. The cluster remembers the results of a session's numbered writes
 * (core/tree/exactly-once.ts), so the write is applied at most once and the caller gets its
 * original result instead of ConnectionLoss. Reads are sent again as they are (a read that
 * never answered changed nothing). The clientId stays the same across seats, so the session
 * survives the move, as a ZooKeeper session survives a server change. Only when the request
 * timeout passes without an answer does `run` report `ConnectionLoss` (unknown outcome). If it
 * cannot attach at all within the connect timeout, `ConnectionFailure` is thrown.
 *
 * `runRaw` (the ZooKeeper listener's ops) keeps ZooKeeper's rule: an op in flight when the tab
 * goes away answers ConnectionLoss, and the listener's own client decides what to send again.
 *
 * The session has a secret, drawn when the client is made, and its clientId is derived from
 * it (protocol/session-secret.ts): every gateway-connect presents both, so another client that
 * learned the clientId (a znode's ephemeralOwner) cannot attach to this session. The join key
 * never leaves the process: gateway-connect carries the room token derived from it.
 */
export interface GatewayClientOptions {
  readonly url: string;
  readonly cluster: string;
  readonly key?: string;
  readonly seat?: number;
  /** The session's secret (to resume a session); a fresh one by default. Its clientId follows from it. */
  readonly secret?: string;
  /**
   * The clientId, for a secret whose clientId is not the CLI's `cli-<digest>` form (a ZooKeeper
   * session's `zk-<id>`, zookeeper/session-table.ts). The server refuses a pair that does not match.
   */
  readonly clientId?: string;
  /**
   * Whether `no-such-cluster` is retried until the connect timeout (default: yes, the CLI may
   * start before the first tab). A wrong key gets the same answer (the server tells no outsider
   * which clusters exist), so a client that would rather fail fast on a wrong key (the
   * ZooKeeper listener answering NoAuth) turns this off.
   */
  readonly waitForCluster?: boolean;
  /** Longest wait for one operation's answer. */
  readonly requestTimeoutMs?: number;
  /** Longest wait to connect and attach to a tab, including retries while no tab is there. */
  readonly connectTimeoutMs?: number;
  /** Progress worth telling a person (attached, lost a seat); the CLI prints these on stderr. */
  readonly onNotice?: (text: string) => void;
}

export class ConnectionFailure extends Error {
  override readonly name = 'ConnectionFailure';

  /** The signaling server's refusal code, when it refused (e.g. `wrong-key`). */
  constructor(
    message: string,
    readonly code: ErrorCode | null = null,
  ) {
    super(message);
  }
}

/** Refusals that may pass on retry (a tab reloading, Redis reconnecting); anything else is final. */
const TRANSIENT_REFUSALS: ReadonlySet<ErrorCode> = new Set(['no-live-seat', 'no-such-cluster', 'rate-limited', 'unavailable', 'busy']);
const RETRY_DELAY_MIN_MS = 100;
const RETRY_DELAY_MAX_MS = 1_000;

/** An attempt that ended without an answer from the cluster: the tab went away (or said ConnectionLoss). */
const LOST = 'lost';
/** An attempt still unanswered when the request timeout ran out: the op is not sent again. */
const TIMED_OUT = 'timed out';
type Attempt = GatewayResult | typeof LOST | typeof TIMED_OUT;

/** Answers of a tab that mean "your operation's outcome is unknown": the op is sent again, elsewhere. */
const UNKNOWN_OUTCOME: ReadonlySet<string> = new Set(['ConnectionLoss', 'OperationTimeout']);

interface PendingRequest {
  readonly op: GatewayOp | Json;
  /** Sent by runRaw: the tab's answer is passed on unchecked. */
  readonly raw: boolean;
  readonly resolve: (attempt: Attempt) => void;
  readonly timer: NodeJS.Timeout;
}

export class GatewayClient {
  readonly clientId: string;
  private readonly secret: string;
  private token: Promise<string | undefined> | null = null;
  private readonly socket: Socket<ServerToClientEvents, ClientToServerEvents>;
  private readonly pending = new Map<number, PendingRequest>();
  private readonly requestTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private nextRequestId = 1;
  /** The number of this session's next write (exactly-once); back to 1 when the session expired. */
  private nextRequestNumber = 1;
  private closed = false;
  /** The seat this client is attached to; null until attached and after a loss. */
  private attachedSeat: number | null = null;

  constructor(private readonly options: GatewayClientOptions) {
    this.secret = options.secret ?? newSessionSecret();
    this.clientId = options.clientId ?? clientIdFor(this.secret);
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 15_000;
    this.socket = io(options.url, {
      transports: ['websocket'],
      autoConnect: false,
      forceNew: true,
      reconnectionDelay: 200,
      reconnectionDelayMax: 2_000,
      timeout: this.connectTimeoutMs,
    });
    this.socket.on('gateway-reply', ({ requestId, result }) => this.answer(requestId, this.checkResult(requestId, result)));
    this.socket.on('gateway-lost', ({ seat }) => {
      if (seat === this.attachedSeat) this.lose(`the tab at seat ${seat} left`);
    });
    this.socket.on('disconnect', (reason) => {
      if (this.attachedSeat !== null || this.pending.size > 0) this.lose(`the signaling connection closed (${reason})`);
    });
    this.socket.on('error-event', (event) => this.handleErrorEvent(event));
  }

  get seat(): number | null {
    return this.attachedSeat;
  }

  /** Connects and attaches now (otherwise the first `run` does). Throws ConnectionFailure. */
  async connect(): Promise<number> {
    return this.attach();
  }

  /**
   * Runs one operation, on another seat again if its tab goes away meanwhile (writes numbered,
   * so applied at most once). Resolves with the cluster's result, or ConnectionLoss if none came
   * within the request timeout; throws ConnectionFailure if no tab can be reached.
   */
  async run(op: GatewayOp): Promise<GatewayResult> {
    const sent = isWriteOp(op) ? { ...op, requestNumber: this.nextRequestNumber++ } : op;
    const result = await this.runRetrying(sent);
    // An expired session remembers nothing; the tab starts a new one, whose numbers start at 1.
    if (!result.ok && result.error === 'SessionExpired') this.nextRequestNumber = 1;
    return result;
  }

  private async runRetrying(op: GatewayOp): Promise<GatewayResult> {
    const deadline = Date.now() + this.requestTimeoutMs;
    for (let attempt = 1; ; attempt++) {
      const answer = await this.send(op, false, deadline);
      if (answer === TIMED_OUT) return { ok: false, error: 'ConnectionLoss' };
      if (answer !== LOST) return answer;
      if (this.closed || Date.now() >= deadline) return { ok: false, error: 'ConnectionLoss' };
      // The first retry goes at once (a live seat is usually there); later ones back off, so a
      // cluster still electing is not asked in a tight loop.
      const delayMs = attempt === 1 ? 0 : backoffMs(attempt - 2, { firstMs: RETRY_DELAY_MIN_MS, maxMs: RETRY_DELAY_MAX_MS });
      await wait(Math.min(delayMs, Math.max(0, deadline - Date.now())));
      if (this.closed) return { ok: false, error: 'ConnectionLoss' };
      const what = isWriteOp(op) ? `${op.op} ${op.path} (write number ${op.requestNumber})` : `${op.op} ${op.path}`;
      this.options.onNotice?.(`sending ${what} again (attempt ${attempt + 1})`);
    }
  }

  /**
   * Runs an op of another of the tab's handlers (the ZooKeeper listener's, protocol/zk-tab-ops.ts):
   * the tab's answer comes back unchecked as `value`, for the caller to check; a lost connection
   * is ConnectionLoss as for `run`. Throws ConnectionFailure if no tab can be reached.
   */
  async runRaw(op: Json): Promise<GatewayResult> {
    const answer = await this.send(op, true, Date.now() + this.requestTimeoutMs);
    return answer === LOST || answer === TIMED_OUT ? { ok: false, error: 'ConnectionLoss' } : answer;
  }

  /** One attempt on the attached seat (attaching first if need be), answered by `deadline` or lost. */
  private async send(op: GatewayOp | Json, raw: boolean, deadline: number): Promise<Attempt> {
    const seat = this.attachedSeat ?? (await this.attach());
    const requestId = this.nextRequestId++;
    return new Promise<Attempt>((resolve) => {
      const timeoutMs = Math.max(0, deadline - Date.now());
      const timer = setTimeout(() => {
        this.settle(requestId, TIMED_OUT);
        if (this.attachedSeat === seat) {
          this.options.onNotice?.(`no answer from seat ${seat} within ${this.requestTimeoutMs} ms; will attach again`);
          this.attachedSeat = null;
        }
      }, timeoutMs);
      this.pending.set(requestId, { op, raw, resolve, timer });
      this.socket.emit('gateway-request', { requestId, op });
    });
  }

  close(): void {
    this.closed = true;
    this.lose('closed');
    this.socket.disconnect();
  }

  private async attach(): Promise<number> {
    const deadline = Date.now() + this.connectTimeoutMs;
    let attempt = 0;
    let lastReason = 'timed out';
    let lastCode: ErrorCode | null = null;
    while (Date.now() < deadline) {
      const reason = await this.tryAttach(deadline);
      if (typeof reason === 'number') return reason;
      lastReason = reason.text;
      lastCode = reason.code ?? null;
      if (!reason.transient) break;
      const delayMs = backoffMs(attempt++, { firstMs: RETRY_DELAY_MIN_MS, maxMs: RETRY_DELAY_MAX_MS });
      await wait(Math.min(Math.max(delayMs, reason.retryAfterMs ?? 0), Math.max(0, deadline - Date.now())));
    }
    throw new ConnectionFailure(`cannot reach cluster ${this.options.cluster} at ${this.options.url}: ${lastReason}`, lastCode);
  }

  /** One attempt: the seat attached to, or why not. */
  private async tryAttach(deadline: number): Promise<number | { text: string; transient: boolean; code?: ErrorCode; retryAfterMs?: number }> {
    const connected = await this.ensureConnected(deadline);
    if (connected !== null) return { text: connected, transient: true };
    const { cluster, key: joinKey, seat } = this.options;
    this.token ??= joinKey === undefined ? Promise.resolve(undefined) : roomToken(cluster, joinKey);
    const key = await this.token;
    let reply;
    try {
      reply = await this.socket.timeout(Math.max(1, deadline - Date.now())).emitWithAck('gateway-connect', {
        cluster,
        clientId: this.clientId,
        secret: this.secret,
        ...(key === undefined ? {} : { key }),
        ...(seat === undefined ? {} : { seat }),
      });
    } catch {
      return { text: 'the signaling server did not answer gateway-connect', transient: true };
    }
    if (!reply.ok) {
      const retryAfterMs = reply.retryAfterMs;
      const transient = TRANSIENT_REFUSALS.has(reply.code) && (reply.code !== 'no-such-cluster' || this.options.waitForCluster !== false);
      return { text: reply.error, transient, code: reply.code, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
    }
    this.attachedSeat = reply.seat;
    this.options.onNotice?.(`attached to seat ${reply.seat} of cluster ${cluster} (${reply.seat <= reply.size ? 'voter' : 'observer'})`);
    return reply.seat;
  }

  /** Null once connected, or why not by the deadline. */
  private async ensureConnected(deadline: number): Promise<string | null> {
    if (this.socket.connected) return null;
    return new Promise<string | null>((resolve) => {
      let lastError = 'could not connect';
      const timer = setTimeout(() => finish(lastError), Math.max(0, deadline - Date.now()));
      const onConnect = () => finish(null);
      const onError = (error: Error) => {
        lastError = `could not connect (${error.message})`;
      };
      const finish = (result: string | null) => {
        clearTimeout(timer);
        this.socket.off('connect', onConnect);
        this.socket.io.off('error', onError);
        resolve(result);
      };
      this.socket.once('connect', onConnect);
      this.socket.io.on('error', onError);
      if (!this.socket.active) this.socket.connect();
    });
  }

  private handleErrorEvent(event: ErrorEvent): void {
    const requestId = event.requestId;
    const request = requestId === undefined ? undefined : this.pending.get(requestId);
    if (requestId === undefined || request === undefined) {
      if (event.event !== 'gateway-connect') this.options.onNotice?.(`server refused ${event.event}: ${event.reason}`);
      return;
    }
    if (event.code === 'rate-limited') {
      // Refused before it was relayed, so sending it again cannot run it twice.
      setTimeout(() => {
        if (this.pending.has(requestId)) this.socket.emit('gateway-request', { requestId, op: request.op });
      }, event.retryAfterMs ?? RETRY_DELAY_MIN_MS);
      return;
    }
    if (event.code === 'no-such-seat' || event.code === 'not-attached') {
      this.attachedSeat = null;
      this.settle(requestId, LOST);
      return;
    }
    this.options.onNotice?.(`server refused request ${requestId}: ${event.reason}`);
    this.settle(requestId, { ok: false, error: 'SystemError' });
  }

  /** A tab's answer, checked: a malformed one becomes SystemError rather than a wrong printout. */
  private checkResult(requestId: number, result: unknown): GatewayResult {
    const request = this.pending.get(requestId);
    if (request?.raw === true) return { ok: true, value: result as Json };
    const parsed = v.safeParse(GatewayResultSchema, result);
    if (request === undefined || !parsed.success) {
      this.options.onNotice?.(`malformed answer to request ${requestId}: ${JSON.stringify(result).slice(0, 200)}`);
      return { ok: false, error: 'SystemError' };
    }
    const answer = parsed.output as GatewayResult;
    const op = request.op as GatewayOp;
    if (answer.ok && !v.is(RESULT_VALUE_SCHEMAS[op.op], answer.value)) {
      this.options.onNotice?.(`malformed ${op.op} value in answer to request ${requestId}: ${JSON.stringify(answer.value).slice(0, 200)}`);
      return { ok: false, error: 'SystemError' };
    }
    return answer;
  }

  /**
   * A tab's answer. ConnectionLoss from the tab (it stopped serving, or its own client lost the
   * cluster) is an unknown outcome like a lost tab: a `run` op is sent again, on another seat.
   */
  private answer(requestId: number, result: GatewayResult): void {
    const request = this.pending.get(requestId);
    if (request !== undefined && !request.raw && !result.ok && UNKNOWN_OUTCOME.has(result.error)) {
      if (this.attachedSeat !== null) this.options.onNotice?.(`seat ${this.attachedSeat} answered ${result.error}; will attach again`);
      this.attachedSeat = null;
      return this.settle(requestId, LOST);
    }
    this.settle(requestId, result);
  }

  private settle(requestId: number, attempt: Attempt): void {
    const request = this.pending.get(requestId);
    if (request === undefined) return; // a late answer to a request already given up on
    this.pending.delete(requestId);
    clearTimeout(request.timer);
    request.resolve(attempt);
  }

  /** Connection lost: every attempt in flight is lost (run sends it again; runRaw answers ConnectionLoss), and the next one attaches again. */
  private lose(why: string): void {
    if (this.attachedSeat !== null && why !== 'closed') this.options.onNotice?.(`connection loss: ${why}`);
    this.attachedSeat = null;
    for (const requestId of [...this.pending.keys()]) this.settle(requestId, LOST);
  }
}

function wait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
