import { io, type Socket } from 'socket.io-client';
import { backoffMs } from '../../lib/backoff.ts';
import type { Json, ServerId } from '../../core/types.ts';
import type { ClientToServerEvents, JoinReply, JoinRequest, ServerToClientEvents } from '../../protocol/signaling-events.ts';
import type { RememberedSeat } from './seat-memory.ts';
import { ServerRotation } from './server-rotation.ts';

type TabSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
export type JoinAccepted = Extract<JoinReply, { ok: true }>;

export interface SignalingHandlers {
  readonly peerJoined: (seat: ServerId) => void;
  readonly peerLeft: (seat: ServerId) => void;
  readonly signal: (from: ServerId, data: Json) => void;
  readonly gatewayRequest: (request: { clientId: string; requestId: number; op: Json }) => void;
  /** The connection came back (to this or another server) and this tab holds its seat again; `peers` as at that join. */
  readonly rejoined: (peers: readonly ServerId[]) => void;
  /** The seat could not be reclaimed after a reconnect: this tab must stop serving it. */
  readonly lost: (reason: string) => void;
  readonly log: (line: string) => void;
}

/** How long a reloading tab retries the seat it held before taking another (its old socket may linger). */
const RECLAIM_WINDOW_MS = 8_000;
const RETRY_PAUSE_MS = 250;
const ACK_TIMEOUT_MS = 5_000;
/** A server that does not accept the connection by then is given up for the next. */
const CONNECT_TIMEOUT_MS = 5_000;
/** Pauses between reconnection attempts: the first at once, then doubling, with jitter. */
const RECONNECT_FIRST_MS = 100;
const RECONNECT_MAX_MS = 2_000;

/**
 * The tab's Socket.IO connection to a signaling server: first the one that served the page (in
 * development Vite proxies /socket.io to it), then, if that one goes away, whichever of the
 * deployment's servers answers (server-rotation.ts). It joins the cluster, relays signals and
 * gateway replies, and after every reconnect (the server crashed, restarted, shut down with
 * `io server disconnect`, after which socket.io would not reconnect by itself) it joins again
 * with its seat and seat token, so the tab keeps serving its seat and can reach new tabs again.
 * The DataChannels never depend on it: losing the server loses no link.
 */
export class SignalingLink {
  private socket: TabSocket;
  private readonly rotation: ServerRotation;
  private joined: { cluster: string; key: string | null; size: number; seat: ServerId; token: string } | null = null;
  private isClosed = false;
  private reconnectTimer: number | null = null;
  private failures = 0;

  constructor(
    private readonly handlers: SignalingHandlers,
    home: string = window.location.origin,
  ) {
    this.rotation = new ServerRotation(home);
    this.socket = this.open(this.rotation.current);
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  /** The signaling server this tab talks to now. */
  get server(): string {
    return this.rotation.current;
  }

  /**
   * Takes a seat: `rememberedSeat` first (a reload reclaims its seat once the old socket is gone,
   * so `seat-taken` is retried for a while), otherwise the lowest free one.
   */
  async join(request: { cluster: string; size: number | null; key: string | null }, remembered: RememberedSeat | null): Promise<JoinAccepted> {
    let seat = remembered?.seat ?? null;
    let token = remembered?.token ?? null;
    const reclaimUntil = performance.now() + RECLAIM_WINDOW_MS;
    for (let attempt = 1; ; attempt++) {
      const reply = await this.emitJoin({
        cluster: request.cluster,
        ...(request.size === null ? {} : { size: request.size }),
        ...(request.key === null ? {} : { key: request.key }),
        ...(seat === null ? {} : { seat }),
        ...(seat === null || token === null ? {} : { token }),
      });
      if (reply.ok) {
        this.joined = { cluster: request.cluster, key: request.key, size: reply.size, seat: reply.seat, token: reply.token };
        this.rotation.update(reply.servers);
        return reply;
      }
      if (seat !== null && reply.code === 'seat-taken' && performance.now() < reclaimUntil) {
        await pause(RETRY_PAUSE_MS);
      } else if (seat !== null && (reply.code === 'seat-taken' || reply.code === 'seat-out-of-range')) {
        this.handlers.log(`seat ${seat} is not free (${reply.code}); taking another`);
        seat = null;
        token = null;
      } else if ((reply.code === 'rate-limited' || reply.code === 'unavailable' || reply.code === 'timeout') && attempt < 40) {
        await pause(RETRY_PAUSE_MS * 2);
      } else {
        throw new Error(`the signaling server refused to seat this tab: ${reply.code}: ${reply.error}`);
      }
    }
  }

  sendSignal(to: ServerId, data: Json): void {
    if (this.joined !== null) this.socket.emit('signal', { to, data });
  }

  gatewayReply(clientId: string, requestId: number, result: Json): void {
    this.socket.emit('gateway-reply', { clientId, requestId, result });
  }

  /** Leaves the cluster at once: the server releases the seat and tells the others (peer-left). */
  close(): void {
    this.isClosed = true;
    if (this.reconnectTimer !== null) window.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.socket.disconnect();
  }

  /** A socket to `url`; its events count only while it is the current one. */
  private open(url: string): TabSocket {
    const socket: TabSocket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true, timeout: CONNECT_TIMEOUT_MS });
    const current = () => socket === this.socket && !this.isClosed;
    socket.on('peer-joined', ({ seat }) => current() && this.handlers.peerJoined(seat));
    socket.on('peer-left', ({ seat }) => current() && this.handlers.peerLeft(seat));
    socket.on('signal', ({ from, data }) => current() && this.handlers.signal(from, data));
    socket.on('gateway-request', (request) => current() && this.handlers.gatewayRequest(request));
    socket.on('signaling-servers', ({ urls }) => current() && this.rotation.update(urls));
    socket.on('error-event', (event) => current() && this.handlers.log(`signaling refused ${event.event}: ${event.code}: ${event.reason}`));
    socket.on('connect', () => {
      if (!current()) return;
      this.failures = 0;
      if (this.joined !== null) void this.rejoin(socket);
    });
    socket.on('disconnect', (reason) => {
      if (!current()) return;
      this.handlers.log(`signaling ${url} disconnected (${reason}); DataChannels stay up`);
      this.scheduleReconnect();
    });
    socket.on('connect_error', (error) => {
      if (!current()) return;
      if (this.failures === 0) this.handlers.log(`signaling ${url} unreachable (${error.message}); trying again`);
      this.scheduleReconnect();
    });
    return socket;
  }

  /**
   * Connects again, to the next server of the rotation, after a pause that starts short and
   * doubles to RECONNECT_MAX_MS. Every cause ends here, `io server disconnect` included.
   */
  private scheduleReconnect(): void {
    if (this.isClosed || this.reconnectTimer !== null) return;
    const pauseMs = backoffMs(this.failures, { firstMs: RECONNECT_FIRST_MS, maxMs: RECONNECT_MAX_MS, jitter: 0.25 });
    this.failures += 1;
    this.reconnectTimer = window.setTimeout(() => {
      this.reconnectTimer = null;
      if (this.isClosed) return;
      const old = this.socket;
      this.socket = this.open(this.rotation.advance());
      old.removeAllListeners();
      old.disconnect();
    }, pauseMs);
  }

  /**
   * Takes the seat back on a new connection, presenting its token: at once if the seat's old
   * socket is on a server that died or restarted, after the old socket is gone if it is on this
   * server. Refusals that may pass later (unavailable, rate-limited, no answer) are retried for
   * as long as this socket lasts; meanwhile the tab serves on over its DataChannels.
   */
  private async rejoin(socket: TabSocket): Promise<void> {
    const joined = this.joined;
    if (joined === null) return;
    const reclaimUntil = performance.now() + RECLAIM_WINDOW_MS;
    while (socket === this.socket && socket.connected && !this.isClosed) {
      const reply = await this.emitJoin(
        { cluster: joined.cluster, size: joined.size, seat: joined.seat, token: joined.token, ...(joined.key === null ? {} : { key: joined.key }) },
        socket,
      );
      if (socket !== this.socket || this.isClosed) return;
      if (reply.ok) {
        this.rotation.update(reply.servers);
        this.handlers.log(`signaling reconnected to ${this.rotation.current}; seat ${reply.seat} kept`);
        this.handlers.rejoined(reply.peers);
        return;
      }
      if (reply.code === 'seat-taken' && performance.now() < reclaimUntil) {
        await pause(RETRY_PAUSE_MS);
      } else if (reply.code === 'unavailable' || reply.code === 'rate-limited' || reply.code === 'timeout') {
        this.handlers.log(`signaling rejoin: ${reply.code}; retrying`);
        await pause(RETRY_PAUSE_MS * 2);
      } else {
        this.handlers.lost(`seat ${joined.seat} could not be reclaimed after the signaling connection dropped: ${reply.code}: ${reply.error}`);
        return;
      }
    }
  }

  private async emitJoin(request: JoinRequest, socket: TabSocket = this.socket): Promise<JoinReply | { ok: false; code: 'timeout'; error: string }> {
    try {
      return await socket.timeout(ACK_TIMEOUT_MS).emitWithAck('join', request);
    } catch {
      return { ok: false, code: 'timeout', error: `no answer from the signaling server within ${ACK_TIMEOUT_MS} ms` };
    }
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => window.setTimeout(resolve, ms));
}
