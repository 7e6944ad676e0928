import { io, type Socket } from 'socket.io-client';
import type { Json, ServerId } from '../../core/types.ts';
import type { ClientToServerEvents, JoinReply, JoinRequest, ServerToClientEvents } from '../../signaling/protocol.ts';

type TabSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
export type JoinAccepted = Extract<JoinReply, { ok: true }>;

export interface SignalingHandlers {
  readonly peerJoined: (seat: ServerId) => void;
  readonly peerLeft: (seat: ServerId) => void;
  readonly signal: (from: ServerId, data: Json) => void;
  readonly gatewayRequest: (request: { clientId: string; requestId: number; op: Json }) => void;
  /** The connection came back and this tab holds its seat again; `peers` as at that join. */
  readonly rejoined: (peers: readonly ServerId[]) => void;
  /** The seat could not be reclaimed after a reconnect: this tab must stop serving it. */
  readonly lost: (reason: string) => void;
  readonly log: (line: string) => void;
}

/** How long a reloading tab retries the seat it held before taking another (its old socket may linger). */
const RECLAIM_WINDOW_MS = 8_000;
const RETRY_PAUSE_MS = 250;
const ACK_TIMEOUT_MS = 5_000;

/**
 * The tab's Socket.IO connection to the signaling server (same origin: in production the server
 * also serves the page; in development Vite proxies /socket.io to it). It joins the cluster,
 * relays signals and gateway replies, and after a dropped connection joins again with the same
 * seat so the tab keeps serving it.
 */
export class SignalingLink {
  private readonly socket: TabSocket;
  /** What this tab joined with, to join again after a reconnect: its seat, key (room token) and the cluster's size. */
  private joined: { cluster: string; key: string | null; seat: ServerId; size: number } | null = null;
  private isClosed = false;

  constructor(private readonly handlers: SignalingHandlers) {
    this.socket = io({ transports: ['websocket'], reconnectionDelay: 200, reconnectionDelayMax: 2_000 });
    this.socket.on('peer-joined', ({ seat }) => handlers.peerJoined(seat));
    this.socket.on('peer-left', ({ seat }) => handlers.peerLeft(seat));
    this.socket.on('signal', ({ from, data }) => handlers.signal(from, data));
    this.socket.on('gateway-request', (request) => handlers.gatewayRequest(request));
    this.socket.on('error-event', (event) => handlers.log(`signaling refused ${event.event}: ${event.code}: ${event.reason}`));
    this.socket.on('disconnect', (reason) => handlers.log(`signaling disconnected (${reason}); DataChannels stay up`));
    this.socket.io.on('reconnect', () => void this.rejoin());
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  /**
   * Takes a seat: `rememberedSeat` first (a reload reclaims its seat once the old socket is gone,
   * so `seat-taken` is retried for a while), otherwise the lowest free one.
   */
  async join(request: { cluster: string; size: number | null; key: string | null }, rememberedSeat: ServerId | null): Promise<JoinAccepted> {
    let seat = rememberedSeat;
    const reclaimUntil = performance.now() + RECLAIM_WINDOW_MS;
    for (let attempt = 1; ; attempt++) {
      const reply = await this.emitJoin({
        cluster: request.cluster,
        ...(request.size === null ? {} : { size: request.size }),
        ...(request.key === null ? {} : { key: request.key }),
        ...(seat === null ? {} : { seat }),
      });
      if (reply.ok) {
        this.joined = { cluster: request.cluster, key: request.key, seat: reply.seat, size: reply.size };
        return reply;
      }
      if (seat !== null && reply.code === 'seat-taken' && performance.now() < reclaimUntil) {
        await pause(RETRY_PAUSE_MS);
      } else if (seat !== null && (reply.code === 'seat-taken' || reply.code === 'seat-out-of-range')) {
        this.handlers.log(`seat ${seat} is not free (${reply.code}); taking another`);
        seat = null;
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
    this.socket.disconnect();
  }

  private async rejoin(): Promise<void> {
    const joined = this.joined;
    if (joined === null || this.isClosed) return;
    // With the size: a restarted server has forgotten the cluster, and the first tab back
    // re-creates it; without its size it would come back with the server's default N.
    const reply = await this.emitJoin({ cluster: joined.cluster, seat: joined.seat, size: joined.size, ...(joined.key === null ? {} : { key: joined.key }) });
    if (reply.ok) {
      this.handlers.log(`signaling reconnected; seat ${reply.seat} kept`);
      this.handlers.rejoined(reply.peers);
    } else if (reply.code === 'timeout') {
      // The next reconnect tries again.
      this.handlers.log('signaling rejoin timed out');
    } else {
      this.handlers.lost(`seat ${joined.seat} could not be reclaimed after the signaling connection dropped: ${reply.code}: ${reply.error}`);
    }
  }

  private async emitJoin(request: JoinRequest): Promise<JoinReply | { ok: false; code: 'timeout'; error: string }> {
    try {
      return await this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck('join', request);
    } catch {
      return { ok: false, code: 'timeout', error: `no answer from the signaling server within ${ACK_TIMEOUT_MS} ms` };
    }
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => window.setTimeout(resolve, ms));
}
