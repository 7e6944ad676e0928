import { randomBytes } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdapter } from '@socket.io/redis-adapter';
import { Server, type Socket } from 'socket.io';
import type { ServerId } from '../core/types.ts';
import { createHttpHandler, defaultStaticDir, existingDirectory, type Health } from './http.ts';
import { createLogger, type LogFields, type Logger } from './logger.ts';
import { DEFAULT_OPTIONS, type ServerOptions } from './options.ts';
import {
  GatewayConnectRequestSchema,
  GatewayReplySchema,
  GatewayRequestSchema,
  JoinRequestSchema,
  MAX_MESSAGE_BYTES,
  SignalRequestSchema,
  parsePayload,
  type ClientEventName,
  type ErrorCode,
  type ErrorEvent,
  type Refusal,
  type ServerToClientEvents,
} from '../protocol/signaling-events.ts';
import { FailureLimiter, missBudget, type MissBudget } from './failure-limit.ts';
import { LogThrottle } from './log-throttle.ts';
import { TokenBucket } from './rate-limit.ts';
import { connectRedis, redactUrl, settlesWithin, type RedisConnections } from './redis.ts';
import { RedisSeatTable } from './redis-seats.ts';
import { clusterOfRoom, keyVerifier, roomOf } from './rooms.ts';
import { hashSeatToken, newSeatToken } from './seat-ownership.ts';
import { ServerDirectory } from './server-directory.ts';
import { MemorySeatTable, refuse, refusals, type FreedSeat, type Holder, type SeatTable } from './seats.ts';
import { secretMatches } from '../protocol/session-secret.ts';

/**
 * The signaling server: introduces tabs of a cluster to each other, relays their WebRTC signals,
 * and lets command-line clients reach a tab (the gateway). It never takes part in consensus and
 * never looks inside what it relays beyond size and shape (y-webrtc's protocol-blind pub/sub).
 *
 * One instance owns all state: the HTTP server, the Socket.IO server, the seat table and the
 * per-socket state. Every event from a socket enters through one door (`receive`): rate limit,
 * then a per-socket queue so that a socket's events (and its disconnect) are handled in order
 * even when the seat table answers asynchronously (Redis), then `dispatch`.
 *
 * A cluster's room is its name plus a verifier of its key (rooms.ts): sockets with different keys
 * never share one. Socket.IO rooms, which the Redis adapter extends across servers:
 *   c:<room>                     every tab of a cluster         (peer-joined, peer-left)
 *   s:<room>:<seat>              the tab holding a seat         (signal, gateway-request)
 *   g:<room>:<seat>              CLIs attached to a seat        (gateway-lost)
 *   r:<room>:<seat>:<clientId>   one CLI client at a seat       (gateway-reply)
 * Room names and client ids hold no ':', so Socket.IO room names cannot collide.
 *
 * State is bounded: the seat table remembers at most `maxClusters` clusters, misses (joins that
 * create a cluster, gateway-connects that find none) are failure-limited per connection, client
 * address and cluster name (failure-limit.ts), and refusals are logged through a throttle that
 * writes at most a few lines a second with counts (log-throttle.ts).
 */

/** The server's own handlers take `unknown`: payloads are untrusted until their schema passes. */
type UntrustedEvents = { [K in ClientEventName]: (...args: unknown[]) => void };
type TabSocket = Socket<UntrustedEvents, ServerToClientEvents>;
/** Between the servers of one deployment (through the Redis adapter): a server started or is leaving, so re-read the server directory. */
interface InterServerEvents {
  'tabkeeper-servers-changed': () => void;
}

export interface SignalingServerOptions extends Partial<ServerOptions> {
  readonly logger?: Logger;
  /** Clock for rate limits and cluster expiry (tests inject one). */
  readonly now?: () => number;
}

interface SocketState {
  seat: { readonly cluster: string; readonly seat: ServerId } | null;
  gateway: { readonly cluster: string; readonly seat: ServerId; readonly clientId: string } | null;
  readonly events: TokenBucket;
  /** Characters of relayed JSON. */
  readonly characters: TokenBucket;
  /** Misses of this connection (failure-limit.ts). */
  readonly misses: MissBudget;
  readonly address: string;
  queue: Promise<void>;
  pending: number;
}

/** Events of one socket still waiting to be handled; beyond it the socket is told `busy`. */
const MAX_PENDING_EVENTS = 64;
const CHARACTER_BUCKET = { capacity: 2 * MAX_MESSAGE_BYTES, refillPerSecond: MAX_MESSAGE_BYTES };
/** Engine.io heartbeat: a tab that vanishes without closing its socket is noticed within ~20 s. */
const PING_INTERVAL_MS = 10_000;
const PING_TIMEOUT_MS = 10_000;
/** Memory mode only forgets expired empty clusters in the sweep; once a minute is plenty. */
const MEMORY_SWEEP_INTERVAL_MS = 60_000;
/** Refusal logging: the first of each kind per window in full, the rest counted (log-throttle.ts). */
const LOG_WINDOW_MS = 1_000;
const LOG_KINDS_PER_WINDOW = 20;
/** Client addresses and cluster names whose misses are tracked at once. */
const FAILURE_ENTRIES = 10_000;
/** Longest wait for one step of shutdown (closing Socket.IO, releasing seats) before moving on. */
const CLOSE_STEP_TIMEOUT_MS = 3_000;
/** Refusals that mean a client sent something it should not have (logged at warn); the rest are ordinary (info). */
const BAD_INPUT_CODES: ReadonlySet<ErrorCode> = new Set([
  'invalid',
  'unknown-event',
  'not-joined',
  'not-attached',
  'already-joined',
  'seat-out-of-range',
  'wrong-key',
  'wrong-secret',
  'busy',
]);

export class SignalingServer {
  readonly serverId: string;
  readonly options: ServerOptions;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly startedMs: number;
  private readonly http: HttpServer;
  private readonly io: Server<UntrustedEvents, ServerToClientEvents, InterServerEvents>;
  private readonly sockets = new Map<string, SocketState>();
  /** Releases that failed (Redis unreachable), retried by the sweep so no seat stays held by a gone socket. */
  private readonly pendingReleases: { cluster: string; seat: ServerId; holder: Holder }[] = [];
  private sweepTimer: NodeJS.Timeout | null = null;
  private closing: Promise<void> | null = null;
  private readonly throttle: LogThrottle;
  private readonly addressMisses: FailureLimiter;
  private readonly clusterMisses: FailureLimiter;
  /** Set while shutting down: the disconnects that follow leave seats to their tabs (seat-ownership.ts). */
  private shuttingDown = false;
  private directory: ServerDirectory | null = null;

  private constructor(
    options: ServerOptions,
    logger: Logger,
    now: () => number,
    serverId: string,
    private readonly seats: SeatTable,
    private readonly redis: RedisConnections | null,
  ) {
    this.options = options;
    this.logger = logger;
    this.now = now;
    this.serverId = serverId;
    this.startedMs = now();
    this.throttle = new LogThrottle(logger, { windowMs: LOG_WINDOW_MS, maxKindsPerWindow: LOG_KINDS_PER_WINDOW, now });
    const failureLimit = { burst: options.failureBurst, perMinute: options.failuresPerMinute, maxEntries: FAILURE_ENTRIES };
    this.addressMisses = new FailureLimiter(failureLimit, now);
    this.clusterMisses = new FailureLimiter(failureLimit, now);
    const staticDir = options.staticDir === null ? defaultStaticDir() : existingDirectory(options.staticDir);
    if (options.staticDir !== null && staticDir === null) logger.warn('static directory not found; serving no app', { dir: options.staticDir });
    this.http = createServer(createHttpHandler({ health: () => this.health(), staticDir, logger }));
    this.io = new Server<UntrustedEvents, ServerToClientEvents, InterServerEvents>(this.http, {
      serveClient: false,
      maxHttpBufferSize: MAX_MESSAGE_BYTES,
      pingInterval: PING_INTERVAL_MS,
      pingTimeout: PING_TIMEOUT_MS,
      ...(redis === null ? {} : { adapter: createAdapter(redis.publish, redis.subscribe, { key: 'tabkeeper-io' }) }),
    });
    this.io.on('connection', (socket) => this.handleConnection(socket));
    this.io.on('tabkeeper-servers-changed', () => void this.directory?.refresh());
  }

  /** Connects to Redis if asked, then listens. Resolves once the port is bound (port 0: see `port`). */
  static async start(input: SignalingServerOptions = {}): Promise<SignalingServer> {
    const { logger: givenLogger, now: givenNow, ...rest } = input;
    const options: ServerOptions = { ...DEFAULT_OPTIONS, ...rest };
    const logger = givenLogger ?? createLogger({ level: options.logLevel, format: options.logFormat });
    const now = givenNow ?? Date.now;
    const serverId = `${process.pid}-${randomBytes(4).toString('hex')}`;
    const tableOptions = {
      defaultClusterSize: options.defaultClusterSize,
      maxObservers: options.maxObservers,
      emptyClusterTtlMs: options.emptyClusterTtlMs,
      maxClusters: options.maxClusters,
      seatGraceMs: options.seatGraceMs,
      now,
    };
    let redis: RedisConnections | null = null;
    let seats: SeatTable;
    let server: SignalingServer | null = null;
    if (options.redisUrl === null) {
      seats = new MemorySeatTable(tableOptions);
    } else {
      redis = await connectRedis(options.redisUrl, logger);
      seats = await RedisSeatTable.open(redis.commands, {
        ...tableOptions,
        serverId,
        livenessMs: options.redisLivenessMs,
        onLivenessLost: () => server?.fenceAfterLivenessLost(),
        onError: (error) => logger.warn('liveness refresh failed', { error: error.message }),
      });
    }
    server = new SignalingServer(options, logger, now, serverId, seats, redis);
    await server.listen();
    return server;
  }

  get port(): number {
    return (this.http.address() as AddressInfo).port;
  }

  /** The URL clients connect to (loopback when bound to every interface). */
  get url(): string {
    const address = this.http.address() as AddressInfo;
    const host = address.address === '0.0.0.0' || address.address === '::' ? '127.0.0.1' : address.address;
    return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  }

  private async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen({ host: this.options.host, port: this.options.port }, () => {
        this.http.off('error', reject);
        resolve();
      });
    }).catch(async (error: unknown) => {
      await this.closeResources();
      throw error;
    });
    this.directory = await ServerDirectory.open(this.redis?.commands ?? null, {
      serverId: this.serverId,
      publicUrl: this.options.publicUrl ?? this.url,
      configuredUrls: this.options.signalingUrls,
      ttlMs: this.options.redisLivenessMs,
      onChange: (urls) => this.announceServers(urls),
      onError: (error) => this.logger.warn('server directory refresh failed', { error: error.message }),
    });
    // The others learn of this server now rather than at their next refresh: its tabs may need them soon.
    this.announceServersChanged();
    const interval = this.redis === null ? MEMORY_SWEEP_INTERVAL_MS : Math.max(100, Math.floor(Math.min(this.options.redisLivenessMs, this.options.seatGraceMs || Infinity) / 2));
    this.sweepTimer = setInterval(() => void this.sweep(), interval);
    this.sweepTimer.unref();
    this.logger.info('listening', {
      url: this.url,
      serverId: this.serverId,
      redis: this.options.redisUrl === null ? 'off' : redactUrl(this.options.redisUrl),
      clusterSize: this.options.defaultClusterSize,
      servers: this.directory.urls().join(','),
    });
  }

  /**
   * Graceful shutdown: disconnects every socket, then closes Socket.IO, HTTP and Redis. Safe to
   * call twice. The tabs' seats are not released: the tabs keep serving over their DataChannels
   * and come back, through another server or this one restarted, with their seat tokens. In
   * Redis mode their seats stay reserved for them (seatGraceMs) once this server's mark is gone.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  /**
   * Tells the other servers of the deployment to re-read the directory. Only while the publish
   * connection is ready: the Redis adapter publishes fire-and-forget, so a publish on a client
   * that is offline would be an unhandled rejection, which ends a Node process.
   */
  private announceServersChanged(): void {
    if (this.redis === null || !this.redis.publish.isReady) return;
    this.io.serverSideEmit('tabkeeper-servers-changed');
  }

  private async shutdown(): Promise<void> {
    this.logger.info('shutting down', { sockets: this.sockets.size });
    if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
    this.shuttingDown = true;
    // Withdraw this server from the directory first, so the others stop handing it out.
    if (this.redis !== null && (await settlesWithin(this.directory?.close() ?? Promise.resolve(), CLOSE_STEP_TIMEOUT_MS))) {
      this.announceServersChanged();
    }
    // Local only: io.disconnectSockets would reach every server through the Redis adapter.
    this.io.local.disconnectSockets(true);
    const handled = Promise.allSettled([...this.sockets.values()].map((state) => state.queue));
    if (!(await settlesWithin(handled, CLOSE_STEP_TIMEOUT_MS))) this.logger.warn('disconnects not handled in time');
    await this.closeResources();
    this.throttle.close();
    this.logger.info('stopped', { serverId: this.serverId });
  }

  private async closeResources(): Promise<void> {
    // io.close also closes the adapter, which talks to Redis: never let a lost Redis hold shutdown.
    if (!(await settlesWithin(this.io.close(), CLOSE_STEP_TIMEOUT_MS))) this.logger.warn('socket.io close timed out');
    this.http.close();
    this.http.closeAllConnections();
    await this.directory?.close();
    await this.seats.close().catch((error: Error) => this.logger.warn('seat table close failed', { error: error.message }));
    await this.redis?.close();
  }

  private handleConnection(socket: TabSocket): void {
    const state: SocketState = {
      seat: null,
      gateway: null,
      events: new TokenBucket({ capacity: this.options.rateLimitBurst, refillPerSecond: this.options.rateLimitPerSecond }, this.now),
      characters: new TokenBucket(CHARACTER_BUCKET, this.now),
      misses: missBudget({ burst: this.options.failureBurst, perMinute: this.options.failuresPerMinute }, this.now),
      address: socket.handshake.address,
      queue: Promise.resolve(),
      pending: 0,
    };
    this.sockets.set(socket.id, state);
    this.logger.debug('socket connected', { socket: socket.id, address: socket.handshake.address });
    socket.onAny((event: string, ...args: unknown[]) => this.receive(socket, state, event, args));
    socket.on('disconnect', (reason) => {
      this.enqueue(state, () => this.handleDisconnect(socket, state, reason), true);
      void state.queue.then(() => this.sockets.delete(socket.id));
    });
  }

  /** The one door for events from a socket. */
  private receive(socket: TabSocket, state: SocketState, event: string, args: unknown[]): void {
    const last = args[args.length - 1];
    const ack = typeof last === 'function' ? (last as (reply: unknown) => void) : null;
    const payload = args[0];
    if (!state.events.maybeTake()) {
      const retryAfterMs = state.events.waitMs();
      this.refuse(socket, event, 'rate-limited', `more than ${this.options.rateLimitBurst} events at once; retry in ${retryAfterMs} ms`, {
        ack,
        payload,
        retryAfterMs,
      });
      return;
    }
    const queued = this.enqueue(state, () => this.dispatch(socket, state, event, payload, ack), false);
    if (!queued) this.refuse(socket, event, 'busy', `more than ${MAX_PENDING_EVENTS} events of this socket are still being handled`, { ack, payload });
  }

  private async dispatch(socket: TabSocket, state: SocketState, event: string, payload: unknown, ack: ((reply: unknown) => void) | null): Promise<void> {
    try {
      switch (event) {
        case 'join':
          return await this.handleJoin(socket, state, payload, ack);
        case 'signal':
          return await this.handleSignal(socket, state, payload);
        case 'gateway-connect':
          return await this.handleGatewayConnect(socket, state, payload, ack);
        case 'gateway-request':
          return await this.handleGatewayRequest(socket, state, payload);
        case 'gateway-reply':
          return await this.handleGatewayReply(socket, state, payload);
        default:
          return this.refuse(socket, event.slice(0, 64), 'unknown-event', `unknown event '${event.slice(0, 64)}'`, { ack });
      }
    } catch (error) {
      // The seat table failed (Redis unreachable): refuse this event; the server keeps serving.
      this.logger.error('event failed', { socket: socket.id, event, error: (error as Error).message });
      this.refuse(socket, event, 'unavailable', 'the seat table is unavailable; retry shortly', { ack, payload, quiet: true });
    }
  }

  private async handleJoin(socket: TabSocket, state: SocketState, payload: unknown, ack: ((reply: unknown) => void) | null): Promise<void> {
    if (ack === null) return this.refuse(socket, 'join', 'invalid', 'join needs an acknowledgement callback', {});
    const parsed = parsePayload(JoinRequestSchema, payload);
    if (!parsed.ok) return this.refuse(socket, 'join', 'invalid', parsed.reason, { ack });
    if (state.seat !== null || state.gateway !== null) {
      return this.refuse(socket, 'join', 'already-joined', 'this socket already holds a seat or a gateway; open another socket', { ack });
    }
    const request = parsed.value;
    const room = roomOf(request.cluster, request.key);
    const holder: Holder = { serverId: this.serverId, socketId: socket.id };
    const keyHash = request.key === undefined ? null : keyVerifier(request.key);
    const token = request.token ?? newSeatToken();
    const result = await this.seats.claim({
      cluster: room,
      size: request.size,
      keyHash,
      seat: request.seat,
      holder,
      tokenHash: hashSeatToken(token),
      tokenPresented: request.token !== undefined,
    });
    if (!result.ok) return this.refuseWith(socket, 'join', shownAs(result, room, request.cluster), ack, { cluster: request.cluster, seat: request.seat });
    if (result.created) {
      // Creating a cluster is what a wrong key looks like (its room is new), so it is a miss:
      // limited per connection and client address. Joining a room that exists never is, so
      // an outsider's misses can never keep the real tabs out of their own cluster.
      const waitMs = this.missWaitMs(state, null);
      if (waitMs > 0) {
        await this.seats.release(room, result.seat, holder);
        return this.refuse(socket, 'join', 'rate-limited', `too many new clusters from this client; retry in ${waitMs} ms`, { ack, retryAfterMs: waitMs });
      }
      this.chargeMiss(state, null, room);
    }
    state.seat = { cluster: room, seat: result.seat };
    // A socket that left while the claim was in flight: its queued disconnect releases the seat.
    if (!socket.connected) return;
    socket.join([clusterRoom(room), seatRoom(room, result.seat)]);
    ack({ ok: true, seat: result.seat, size: result.size, peers: result.peers, token, servers: this.directory?.urls() ?? [] });
    socket.to(clusterRoom(room)).emit('peer-joined', { seat: result.seat });
    this.logger.info('seat claimed', {
      cluster: request.cluster,
      room: roomLabel(room),
      seat: result.seat,
      role: result.seat <= result.size ? 'voter' : 'observer',
      size: result.size,
      created: result.created,
      reclaim: request.token !== undefined,
      socket: socket.id,
    });
  }

  private async handleSignal(socket: TabSocket, state: SocketState, payload: unknown): Promise<void> {
    const parsed = parsePayload(SignalRequestSchema, payload);
    if (!parsed.ok) return this.refuse(socket, 'signal', 'invalid', parsed.reason, {});
    if (state.seat === null) return this.refuse(socket, 'signal', 'not-joined', 'join a cluster before relaying signals', {});
    const { cluster, seat } = state.seat;
    const { to, data } = parsed.value;
    if (!this.takeCharacters(socket, state, 'signal', data, {})) return;
    if (to === seat) return this.refuse(socket, 'signal', 'invalid', 'to: a tab cannot signal its own seat', {});
    const target = await this.seats.holder(cluster, to);
    if (target === null) return this.refuse(socket, 'signal', 'no-such-seat', `no tab holds seat ${to} of cluster ${clusterOfRoom(cluster)}`, {});
    this.io.to(seatRoom(cluster, to)).emit('signal', { from: seat, data });
    this.logger.debug('signal relayed', { cluster: clusterOfRoom(cluster), from: seat, to });
  }

  private async handleGatewayConnect(
    socket: TabSocket,
    state: SocketState,
    payload: unknown,
    ack: ((reply: unknown) => void) | null,
  ): Promise<void> {
    if (ack === null) return this.refuse(socket, 'gateway-connect', 'invalid', 'gateway-connect needs an acknowledgement callback', {});
    const parsed = parsePayload(GatewayConnectRequestSchema, payload);
    if (!parsed.ok) return this.refuse(socket, 'gateway-connect', 'invalid', parsed.reason, { ack });
    if (state.seat !== null) return this.refuse(socket, 'gateway-connect', 'already-joined', 'a tab socket cannot also be a gateway client', { ack });
    const { cluster, key, seat: forced, clientId, secret } = parsed.value;
    const waitMs = this.missWaitMs(state, cluster);
    if (waitMs > 0) {
      return this.refuse(socket, 'gateway-connect', 'rate-limited', `too many failed attempts; retry in ${waitMs} ms`, { ack, retryAfterMs: waitMs, fields: { cluster } });
    }
    if (!secretMatches(clientId, secret)) {
      this.chargeMiss(state, cluster, `secret:${clientId}`);
      const why = secret === undefined ? 'gateway-connect needs the session secret (secret)' : 'clientId is not the one of this session secret';
      return this.refuse(socket, 'gateway-connect', 'wrong-secret', why, { ack, fields: { cluster } });
    }
    // A wrong key names another room, which no tab has joined: the same answer as a cluster
    // nobody created, so a refusal tells an outsider nothing about which clusters exist.
    const room = roomOf(cluster, key);
    const view = await this.seats.cluster(room);
    if (view === null) {
      this.chargeMiss(state, cluster, room);
      return this.refuse(socket, 'gateway-connect', 'no-such-cluster', `no tab has joined cluster ${cluster} with this key`, { ack, fields: { cluster } });
    }
    if (forced !== undefined && forced > view.maxSeat) {
      return this.refuseWith(socket, 'gateway-connect', refusals.seatOutOfRange(cluster, forced, view.size, view.maxSeat), ack, { cluster });
    }
    const seat = forced ?? view.seats[Math.floor(Math.random() * view.seats.length)];
    if (seat === undefined || !view.seats.includes(seat)) {
      const what = forced === undefined ? `no tab holds a seat of cluster ${cluster}` : `no tab holds seat ${forced} of cluster ${cluster}`;
      return this.refuse(socket, 'gateway-connect', 'no-live-seat', what, { ack });
    }
    this.detachGateway(socket, state);
    state.gateway = { cluster: room, seat, clientId };
    socket.join([gatewayRoom(room, seat), replyRoom(room, seat, clientId)]);
    ack({ ok: true, seat, size: view.size });
    this.logger.info('gateway attached', { cluster, room: roomLabel(room), seat, clientId, socket: socket.id });
    // The tab may have left between the lookup and joining its gateway room: then say so now.
    if ((await this.seats.holder(room, seat)) === null) socket.emit('gateway-lost', { seat });
  }

  private async handleGatewayRequest(socket: TabSocket, state: SocketState, payload: unknown): Promise<void> {
    const parsed = parsePayload(GatewayRequestSchema, payload);
    if (!parsed.ok) return this.refuse(socket, 'gateway-request', 'invalid', parsed.reason, { payload });
    const { requestId, op } = parsed.value;
    if (state.gateway === null) return this.refuse(socket, 'gateway-request', 'not-attached', 'send gateway-connect first', { payload });
    if (!this.takeCharacters(socket, state, 'gateway-request', op, { payload })) return;
    const { cluster, seat, clientId } = state.gateway;
    if ((await this.seats.holder(cluster, seat)) === null) {
      this.refuse(socket, 'gateway-request', 'no-such-seat', `no tab holds seat ${seat} of cluster ${clusterOfRoom(cluster)}`, { payload, quiet: true });
      socket.emit('gateway-lost', { seat });
      return;
    }
    this.io.to(seatRoom(cluster, seat)).emit('gateway-request', { clientId, requestId, op });
    this.logger.debug('gateway request relayed', { cluster: clusterOfRoom(cluster), seat, clientId, requestId });
  }

  private async handleGatewayReply(socket: TabSocket, state: SocketState, payload: unknown): Promise<void> {
    const parsed = parsePayload(GatewayReplySchema, payload);
    if (!parsed.ok) return this.refuse(socket, 'gateway-reply', 'invalid', parsed.reason, {});
    if (state.seat === null) return this.refuse(socket, 'gateway-reply', 'not-joined', 'only a tab holding a seat may reply', {});
    const { clientId, requestId, result } = parsed.value;
    if (!this.takeCharacters(socket, state, 'gateway-reply', result, {})) return;
    // Only to clients attached to this tab's own seat: a tab cannot answer for another.
    this.io.to(replyRoom(state.seat.cluster, state.seat.seat, clientId)).emit('gateway-reply', { requestId, result });
  }

  private async handleDisconnect(socket: TabSocket, state: SocketState, reason: string): Promise<void> {
    this.logger.debug('socket disconnected', { socket: socket.id, reason });
    state.gateway = null;
    if (state.seat === null) return;
    const { cluster, seat } = state.seat;
    state.seat = null;
    if (this.shuttingDown) {
      this.logger.info('seat kept for its tab', { cluster, seat, socket: socket.id });
      return;
    }
    const holder = { serverId: this.serverId, socketId: socket.id };
    try {
      if (await this.seats.release(cluster, seat, holder)) this.announceLeft({ cluster, seat }, reason);
    } catch (error) {
      this.logger.warn('seat release failed; will retry', { cluster: clusterOfRoom(cluster), seat, error: (error as Error).message });
      this.pendingReleases.push({ cluster, seat, holder });
    }
  }

  private announceLeft(freed: FreedSeat, reason: string): void {
    this.io.to(clusterRoom(freed.cluster)).emit('peer-left', { seat: freed.seat });
    this.io.to(gatewayRoom(freed.cluster, freed.seat)).emit('gateway-lost', { seat: freed.seat });
    this.logger.info('seat released', { cluster: clusterOfRoom(freed.cluster), room: roomLabel(freed.cluster), seat: freed.seat, reason });
  }

  /** Tells this server's tabs the deployment's signaling servers changed. */
  private announceServers(urls: string[]): void {
    this.logger.info('signaling servers changed', { servers: urls.join(',') });
    for (const [socketId, state] of this.sockets) {
      if (state.seat !== null) this.io.sockets.sockets.get(socketId)?.emit('signaling-servers', { urls });
    }
  }

  private detachGateway(socket: TabSocket, state: SocketState): void {
    if (state.gateway === null) return;
    const { cluster, seat, clientId } = state.gateway;
    socket.leave(gatewayRoom(cluster, seat));
    socket.leave(replyRoom(cluster, seat, clientId));
    state.gateway = null;
  }

  /** Periodic upkeep: retries failed releases, frees seats of dead servers (Redis), forgets expired clusters. */
  private async sweep(): Promise<void> {
    try {
      for (const pending of this.pendingReleases.splice(0)) {
        if (await this.seats.release(pending.cluster, pending.seat, pending.holder)) this.announceLeft(pending, 'released late');
      }
      for (const freed of await this.seats.sweep()) this.announceLeft(freed, 'its server died and its tab did not come back');
    } catch (error) {
      this.logger.warn('sweep failed', { error: (error as Error).message });
    }
  }

  /** Redis mode: this server's liveness mark had expired, so its seats may be someone else's now. */
  private fenceAfterLivenessLost(): void {
    this.logger.error('liveness lost; disconnecting this server\'s tabs so they rejoin', { serverId: this.serverId });
    for (const [socketId, state] of this.sockets) {
      if (state.seat !== null) this.io.sockets.sockets.get(socketId)?.disconnect(true);
    }
  }

  private async health(): Promise<Health> {
    const base = {
      uptimeSeconds: Math.round((this.now() - this.startedMs) / 1000),
      sockets: this.io.engine.clientsCount,
      localSeats: [...this.sockets.values()].filter((state) => state.seat !== null).length,
      servers: this.directory?.urls() ?? [],
      redis: this.redis !== null,
      serverId: this.serverId,
    };
    try {
      const stats = await this.seats.stats();
      return { status: 'ok', rooms: stats.clusters, seats: stats.seats, remembered: stats.remembered, ...base };
    } catch (error) {
      return { status: 'degraded', rooms: 0, seats: 0, ...base, error: (error as Error).message };
    }
  }

  private takeCharacters(socket: TabSocket, state: SocketState, event: string, data: unknown, extra: { payload?: unknown }): boolean {
    const length = JSON.stringify(data).length;
    if (state.characters.maybeTake(length)) return true;
    const retryAfterMs = state.characters.waitMs(length);
    this.refuse(socket, event, 'rate-limited', `too many characters relayed; retry in ${retryAfterMs} ms`, { ...extra, retryAfterMs });
    return false;
  }

  private enqueue(state: SocketState, task: () => Promise<void>, always: boolean): boolean {
    if (!always && state.pending >= MAX_PENDING_EVENTS) return false;
    state.pending += 1;
    state.queue = state.queue
      .then(task)
      .catch((error: unknown) => this.logger.error('socket task failed', { error: (error as Error).message }))
      .finally(() => {
        state.pending -= 1;
      });
    return true;
  }

  /** Refusal of an acknowledged request that the seat table decided. */
  private refuseWith(socket: TabSocket, event: string, refusal: Refusal, ack: (reply: unknown) => void, fields: LogFields): void {
    this.refuse(socket, event, refusal.code, refusal.error, { ack, fields });
  }

  /**
   * Tells the socket why its event was refused (`error-event`, and the ack if it asked for one)
   * and logs it: bad input at warn, ordinary refusals (a seat taken, no tab yet) at info. A
   * refused gateway-request names its requestId so the client can fail or retry that request.
   */
  private refuse(
    socket: TabSocket,
    event: string,
    code: ErrorCode,
    reason: string,
    extra: { ack?: ((reply: unknown) => void) | null; payload?: unknown; retryAfterMs?: number; quiet?: boolean; fields?: LogFields },
  ): void {
    const requestId = requestIdOf(extra.payload);
    const errorEvent: ErrorEvent = {
      event,
      code,
      reason,
      ...(requestId === undefined ? {} : { requestId }),
      ...(extra.retryAfterMs === undefined ? {} : { retryAfterMs: extra.retryAfterMs }),
    };
    socket.emit('error-event', errorEvent);
    if (extra.ack) extra.ack({ ...refuse(code, reason), ...(extra.retryAfterMs === undefined ? {} : { retryAfterMs: extra.retryAfterMs }) });
    if (extra.quiet === true) return;
    const fields = { ...extra.fields, event, code, reason, socket: socket.id };
    // Through the throttle: a flood of refusals writes a few lines a second, with counts.
    if (code === 'rate-limited') this.throttle.log('warn', 'rate limited', `${event}`, fields);
    else if (BAD_INPUT_CODES.has(code)) this.throttle.log('warn', 'payload refused', `${event}/${code}`, fields);
    else this.throttle.log('info', 'request refused', `${event}/${code}`, fields);
  }

  /** How long this connection (and, for the gateway, this cluster name) must wait before another attempt that may miss. */
  private missWaitMs(state: SocketState, cluster: string | null): number {
    return Math.max(
      state.misses.waitMs(),
      this.addressMisses.waitMs(state.address),
      cluster === null ? 0 : this.clusterMisses.waitMs(cluster),
    );
  }

  /** Records a miss of `room` (a retry of a room missed lately is free: failure-limit.ts). */
  private chargeMiss(state: SocketState, cluster: string | null, room: string): void {
    state.misses.charge(room);
    this.addressMisses.charge(state.address, room);
    if (cluster !== null) this.clusterMisses.charge(cluster, room);
  }
}

/** A seat table's refusal as the client sees it: about its cluster's name, never its room. */
function shownAs(refusal: Refusal, room: string, cluster: string): Refusal {
  return room === cluster ? refusal : { ...refusal, error: refusal.error.replaceAll(room, cluster) };
}

/** A short label of a keyed room for logs (8 hex digits of the key's verifier), or 'open' for a keyless one. */
function roomLabel(room: string): string {
  const dot = room.indexOf('.');
  return dot === -1 ? 'open' : room.slice(dot + 1, dot + 9);
}

function requestIdOf(payload: unknown): number | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const requestId = (payload as { requestId?: unknown }).requestId;
  return typeof requestId === 'number' && Number.isSafeInteger(requestId) && requestId >= 0 ? requestId : undefined;
}

const clusterRoom = (cluster: string) => `c:${cluster}`;
const seatRoom = (cluster: string, seat: ServerId) => `s:${cluster}:${seat}`;
const gatewayRoom = (cluster: string, seat: ServerId) => `g:${cluster}:${seat}`;
const replyRoom = (cluster: string, seat: ServerId, clientId: string) => `r:${cluster}:${seat}:${clientId}`;
