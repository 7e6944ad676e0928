import { randomBytes } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdapter } from '@socket.io/redis-adapter';
import { Server } from 'socket.io';
import { MAX_MESSAGE_BYTES, type ErrorCode, type ServerToClientEvents } from '../protocol/signaling-events.ts';
import { missBudget } from './failure-limit.ts';
import { handleGatewayConnect, handleGatewayReply, handleGatewayRequest } from './gateway-handlers.ts';
import type { HandlerContext } from './handler-context.ts';
import { createHttpHandler, defaultStaticDir, existingDirectory, type Health } from './http.ts';
import { handleJoin } from './join.ts';
import { createLogger, type Logger } from './logger.ts';
import { LogThrottle } from './log-throttle.ts';
import { Misses } from './misses.ts';
import { DEFAULT_OPTIONS, type ServerOptions } from './options.ts';
import { TokenBucket } from './rate-limit.ts';
import { connectRedis, redactUrl, type RedisConnections } from './redis.ts';
import { RedisSeatTable } from './redis-seats.ts';
import { Refuser, type RefusalExtra } from './refuser.ts';
import { handleSignal } from './relay.ts';
import { SeatUpkeep } from './seat-upkeep.ts';
import { MemorySeatTable, type SeatTable } from './seats.ts';
import { ServerDirectory } from './server-directory.ts';
import { closeResources, shutDown } from './shutdown.ts';
import type { Ack, InterServerEvents, SignalingIo, SocketState, TabSocket, UntrustedEvents } from './socket-state.ts';

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
 * never share one (room names: room-names.ts).
 *
 * This file is the composition root and the socket door; each event's handler has a file of its
 * own: join.ts, relay.ts (signal), gateway-handlers.ts (gateway-connect, -request, -reply);
 * refusals in refuser.ts, misses in misses.ts, seats after their sockets (release, sweep, Redis
 * fencing) in seat-upkeep.ts, and shutdown in shutdown.ts.
 *
 * State is bounded: the seat table remembers at most `maxClusters` clusters, misses (joins that
 * create a cluster, gateway-connects that find none) are failure-limited per connection, client
 * address and cluster name (failure-limit.ts), and refusals are logged through a throttle that
 * writes at most a few lines a second with counts (log-throttle.ts).
 */

export interface SignalingServerOptions extends Partial<ServerOptions> {
  readonly logger?: Logger;
  /** Clock for rate limits and cluster expiry (tests inject one). */
  readonly now?: () => number;
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

export class SignalingServer {
  readonly serverId: string;
  readonly options: ServerOptions;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly startedMs: number;
  private readonly http: HttpServer;
  private readonly io: SignalingIo;
  private readonly sockets = new Map<string, SocketState>();
  private readonly upkeep: SeatUpkeep;
  private readonly handlers: HandlerContext;
  private sweepTimer: NodeJS.Timeout | null = null;
  private closing: Promise<void> | null = null;
  private readonly throttle: LogThrottle;
  private readonly refuser: Refuser;
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
    this.refuser = new Refuser(this.throttle);
    const misses = new Misses({ burst: options.failureBurst, perMinute: options.failuresPerMinute, maxEntries: FAILURE_ENTRIES }, now);
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
    this.upkeep = new SeatUpkeep(serverId, this.io, seats, logger, this.sockets);
    this.handlers = { serverId, logger, io: this.io, seats, refuser: this.refuser, misses, serverUrls: () => this.directory?.urls() ?? [] };
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
        onLivenessLost: () => server?.upkeep.fenceAfterLivenessLost(),
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
    this.sweepTimer = setInterval(() => void this.upkeep.sweep(), interval);
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
    if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
    await shutDown({
      serverId: this.serverId,
      logger: this.logger,
      io: this.io,
      http: this.http,
      directory: this.directory,
      seats: this.seats,
      redis: this.redis,
      sockets: this.sockets,
      upkeep: this.upkeep,
      throttle: this.throttle,
      announceServersChanged: () => this.announceServersChanged(),
    });
  }

  private closeResources(): Promise<void> {
    return closeResources({ logger: this.logger, io: this.io, http: this.http, directory: this.directory, seats: this.seats, redis: this.redis });
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
      this.enqueue(state, () => this.upkeep.disconnected(socket, state, reason), true);
      void state.queue.then(() => this.sockets.delete(socket.id));
    });
  }

  /** The one door for events from a socket. */
  private receive(socket: TabSocket, state: SocketState, event: string, args: unknown[]): void {
    const last = args[args.length - 1];
    const ack = typeof last === 'function' ? (last as Ack) : null;
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

  private async dispatch(socket: TabSocket, state: SocketState, event: string, payload: unknown, ack: Ack | null): Promise<void> {
    try {
      switch (event) {
        case 'join':
          return await handleJoin(this.handlers, socket, state, payload, ack);
        case 'signal':
          return await handleSignal(this.handlers, socket, state, payload);
        case 'gateway-connect':
          return await handleGatewayConnect(this.handlers, socket, state, payload, ack);
        case 'gateway-request':
          return await handleGatewayRequest(this.handlers, socket, state, payload);
        case 'gateway-reply':
          return await handleGatewayReply(this.handlers, socket, state, payload);
        default:
          return this.refuse(socket, event.slice(0, 64), 'unknown-event', `unknown event '${event.slice(0, 64)}'`, { ack });
      }
    } catch (error) {
      // The seat table failed (Redis unreachable): refuse this event; the server keeps serving.
      this.logger.error('event failed', { socket: socket.id, event, error: (error as Error).message });
      this.refuse(socket, event, 'unavailable', 'the seat table is unavailable; retry shortly', { ack, payload, quiet: true });
    }
  }

  /** Tells this server's tabs the deployment's signaling servers changed. */
  private announceServers(urls: string[]): void {
    this.logger.info('signaling servers changed', { servers: urls.join(',') });
    for (const [socketId, state] of this.sockets) {
      if (state.seat !== null) this.io.sockets.sockets.get(socketId)?.emit('signaling-servers', { urls });
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

  private refuse(socket: TabSocket, event: string, code: ErrorCode, reason: string, extra: RefusalExtra): void {
    this.refuser.refuse(socket, event, code, reason, extra);
  }
}
