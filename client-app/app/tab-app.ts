import type { GatewayOp, GatewayResult } from '../../protocol/gateway-ops.ts';
import { TabKeeperClient } from '../../core/client/tabkeeper-client.ts';
import { lastLoggedZxid } from '../../core/persist-batch.ts';
import { ZabNode } from '../../core/node.ts';
import { DataTree } from '../../core/tree/index.ts';
import type { ServerId } from '../../core/types.ts';
import { formatZxid, ZERO_ZXID } from '../../core/zxid.ts';
import { databaseName, IndexedDbStorage } from '../storage/indexeddb-storage.ts';
import { FaultFilter } from '../transport/fault-filter.ts';
import { WebRtcTransport } from '../transport/webrtc-transport.ts';
import { BrowserClock } from './browser-clock.ts';
import { browserConfig, TICK_MS } from './browser-config.ts';
import { answerGateway } from './gateway-door.ts';
import { GatewaySessions } from './gateway-sessions.ts';
import { LogRing, type LogLine } from './log-ring.ts';
import { PageRuns } from './page-runs.ts';
import { ZooKeeperSessions } from './zookeeper-sessions.ts';
import type { TabKeeperPage, TabStatus } from './page-contract.ts';
import { peerAuthKey, roomToken } from '../../protocol/cluster-key.ts';
import type { TabParams } from './params.ts';
import { readRememberedSeat, rememberSeat, type RememberedSeat } from './seat-memory.ts';
import { TabEvents } from './tab-events.ts';
import { tabStatus } from './tab-status.ts';
import { SignalingLink } from './signaling-link.ts';
import { acquireSeatLock, type SeatLock } from './web-lock.ts';

const SESSION_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 10_000;
const LOCK_TIMEOUT_MS = 5_000;
const LOG_LINES_KEPT = 300;

/**
 * One tab, one server: the composition root. Joins the cluster through the signaling server,
 * takes the seat's Web Lock and IndexedDB database, runs a ZabNode over WebRTC, and wires the
 * parts that each do one job: the page contract's runs and history (page-runs.ts) and status
 * (tab-status.ts), requests relayed from CLIs and the ZooKeeper listener (gateway-door.ts),
 * waiting for the node to serve (until-serving.ts), the log ring (log-ring.ts) and the seat
 * remembered in sessionStorage (seat-memory.ts).
 */
export class TabApp implements TabKeeperPage {
  readonly clock = new BrowserClock();
  private seat: ServerId | null = null;
  private size: number;
  private signaling: SignalingLink | null = null;
  private transport: WebRtcTransport | null = null;
  /** Between the node and the transport: demo faults (cut, delay, hang) and the message tap. */
  private filter: FaultFilter | null = null;
  /** What happens in this tab, for the views (client-app/ui/). */
  readonly events = new TabEvents();
  private lock: SeatLock | null = null;
  private storage: IndexedDbStorage | null = null;
  private node: ZabNode | null = null;
  private client: TabKeeperClient | null = null;
  private gateway: GatewaySessions | null = null;
  /** Sessions of ZooKeeper clients, relayed by the ZooKeeper listener (zookeeper/). */
  private zookeeper: ZooKeeperSessions | null = null;
  private sweepTimer: number | null = null;
  private zkSweepTimer: number | null = null;
  private restored: TabStatus['restored'] = null;
  private failure: string | null = null;
  private storageOpenError: string | null = null;
  private closed = false;
  private readonly logRing = new LogRing(LOG_LINES_KEPT);
  private readonly runs = new PageRuns(
    () => ({ node: this.node, client: this.client, seat: this.seat }),
    (expired) => this.replaceClient(expired),
  );

  constructor(readonly params: TabParams) {
    this.size = params.size ?? 0;
  }

  // ---------------------------------------------------------------- boot

  /** Runs the whole boot; a failure is shown (status FAILED, error) rather than thrown. */
  async boot(): Promise<void> {
    try {
      await this.joinCluster();
      await this.openSeat();
      this.startNode();
    } catch (error) {
      this.fail(error instanceof Error ? error.message : String(error));
    }
  }

  private async joinCluster(): Promise<void> {
    const signaling = new SignalingLink({
      peerJoined: (seat) => {
        this.transport?.peerJoined(seat);
        this.changed();
      },
      peerLeft: (seat) => {
        this.transport?.peerLeft(seat);
        this.changed();
      },
      signal: (from, data) => this.transport?.handleSignal(from, data),
      gatewayRequest: (request) =>
        void answerGateway(() => ({ node: this.node, gateway: this.gateway, zookeeper: this.zookeeper, signaling: this.signaling }), request),
      rejoined: (peers) => this.transport?.addPeers(peers),
      lost: (reason) => this.fail(reason),
      log: (line) => this.log(line),
    });
    this.signaling = signaling;
    const remembered = await this.lockRememberedSeat(readRememberedSeat(this.params.cluster));
    // A reload after the signaling server restarted may be the first tab back: it asks for the
    // size it had, so the cluster is not re-created with the server's default N.
    const size = this.params.size ?? remembered?.size ?? null;
    // The signaling server gets a token derived from the key, never the key (cluster-key.ts).
    const key = this.params.key === null ? null : await roomToken(this.params.cluster, this.params.key);
    // What tabs prove to each other over the DataChannel (peer-auth.ts); keyless: no handshake.
    const authKey = this.params.key === null ? null : await peerAuthKey(this.params.cluster, this.params.key);
    if (authKey === null) this.log('no join key: any tab that reaches this cluster is a peer (keyless clusters are for a demo on one machine)');
    const reply = await signaling.join({ cluster: this.params.cluster, size, key }, remembered);
    this.seat = reply.seat;
    this.size = reply.size;
    rememberSeat(this.params.cluster, reply.seat, reply.token, reply.size);
    this.log(`seat ${reply.seat} of ${this.params.cluster} (${reply.seat <= reply.size ? 'voter' : 'observer'}, N=${reply.size}); peers ${reply.peers.join(',') || 'none'}`);
    // Connect at once, while storage opens: the node learns of links already open when it starts.
    const transport = new WebRtcTransport({
      seat: reply.seat,
      sendSignal: (to, data) => signaling.sendSignal(to, data),
      log: (line) => this.log(line),
      iceServers: [...this.params.iceServers],
      auth: authKey === null ? null : { cluster: this.params.cluster, key: authKey },
    });
    transport.onLinksChanged(() => this.changed());
    transport.addPeers(reply.peers);
    this.transport = transport;
    this.filter = new FaultFilter(
      transport,
      (tapped) => this.events.emit({ type: 'message', ...tapped, timeMs: Date.now() }),
      () => this.changed(),
    );
    this.assertOpen();
  }

  /**
   * A remembered seat is presented (with its seat token) only once this tab holds the seat's
   * Web Lock: a duplicated tab copies sessionStorage, token included, and must not take the seat
   * of its live original through another signaling server (signaling/seat-ownership.ts). The
   * lock is kept for openSeat.
   */
  private async lockRememberedSeat(remembered: RememberedSeat | null): Promise<RememberedSeat | null> {
    if (remembered === null) return null;
    try {
      this.lock = await acquireSeatLock(databaseName(this.params.cluster, remembered.seat), LOCK_TIMEOUT_MS);
      return remembered;
    } catch (error) {
      this.log(`seat ${remembered.seat}: ${error instanceof Error ? error.message : String(error)}; taking another seat`);
      return null;
    }
  }

  private async openSeat(): Promise<void> {
    const seat = this.seat!;
    const name = databaseName(this.params.cluster, seat);
    if (this.lock?.name !== name) {
      this.lock?.release();
      this.lock = await acquireSeatLock(name, LOCK_TIMEOUT_MS);
    }
    if (this.lock === null) this.log('Web Locks are unavailable (not a secure context): only the signaling server keeps two tabs off one seat');
    this.assertOpen();
    let storage: IndexedDbStorage;
    try {
      storage = await IndexedDbStorage.open({ cluster: this.params.cluster, sid: seat });
    } catch (error) {
      this.storageOpenError = error instanceof Error ? error.message : String(error);
      throw error;
    }
    this.storage = storage;
    storage.onError((error) => this.fail(error.message));
    const state = await storage.loadState();
    const held = state.acceptedEpoch > 0 || state.log.length > 0 || state.snapshot !== null;
    const lastZxid = formatZxid(lastLoggedZxid(state));
    const snapshotZxid = formatZxid(state.snapshot?.zxid ?? ZERO_ZXID);
    // A fresh database held nothing to restore: null, as before storage is read.
    this.restored = held ? { lastZxid, committedZxid: snapshotZxid } : null;
    this.log(`IndexedDB ${name}: ${held ? `epochs ${state.acceptedEpoch}/${state.currentEpoch}, ${state.log.length} log entries, last ${lastZxid}, snapshot ${snapshotZxid}` : 'empty (a fresh seat)'}`);
    this.assertOpen();
  }

  private startNode(): void {
    const seat = this.seat!;
    const node = new ZabNode({
      config: browserConfig(seat, this.size, this.params),
      createMachine: () => new DataTree(),
      transport: this.filter!,
      storage: this.storage!,
      clock: this.clock,
      tickMs: TICK_MS,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      hooks: { log: (line) => this.log(line), event: (event) => this.events.emit({ type: 'server', event }) },
      // Pipelined calls of this tab's sessions, submitted in one turn, become one storage write.
      deferWrites: (release) => queueMicrotask(release),
    });
    node.onApplied((applied) => this.events.emit({ type: 'applied', applied }));
    node.onFailure((error) => this.fail(`the node stopped: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`));
    this.node = node;
    node.start();
    if (this.params.forceNewCluster) this.forceNewCluster();
    this.client = this.newClient();
    this.gateway = new GatewaySessions({ clock: this.clock, server: node, sessionTimeoutMs: SESSION_TIMEOUT_MS, idleMs: 10 * 60_000, maxSessions: 64 });
    this.zookeeper = new ZooKeeperSessions({ clock: this.clock, server: node, maxSessions: 256, attachWaitMs: 5_000, log: (line) => this.log(line) });
    this.sweepTimer = window.setInterval(() => this.gateway?.sweep(), 30_000);
    this.zkSweepTimer = window.setInterval(() => this.zookeeper?.sweep(), 1_000);
    this.log(`node ${seat} started (tick ${TICK_MS} ms, ${this.clock.unthrottled ? 'worker timers' : 'page timers'})`);
    this.changed();
  }

  private newClient(): TabKeeperClient {
    const node = this.node!;
    const client = new TabKeeperClient({
      sessionId: `tab-${this.seat}-${crypto.randomUUID().slice(0, 8)}`,
      sessionTimeoutMs: SESSION_TIMEOUT_MS,
      clock: this.clock,
      pickServer: () => node,
      // Pinned to this tab's node, whose serving and applied events reconnect it at once: the
      // poll is only a fallback.
      pollMs: 1_000,
      // A write in flight when this tab stops serving (a failover) is sent again, with its
      // number, once it serves again: applied once, and run() answers its result, not ConnectionLoss.
      exactlyOnce: true,
    });
    client.onStateChange((state) => this.log(`session ${client.sessionId} ${state}`));
    return client;
  }

  // ---------------------------------------------------------------- the page contract

  status(): TabStatus {
    return tabStatus({
      cluster: this.params.cluster,
      keyed: this.params.key !== null,
      size: this.size,
      seat: this.seat,
      node: this.node,
      filter: this.filter,
      transport: this.transport,
      restored: this.restored,
      failure: this.failure,
    });
  }

  forceNewCluster(): void {
    if (this.node === null) return;
    this.log('UNSAFE: forcing a new cluster from the storages present');
    this.node.forceNewCluster();
  }

  async run(op: GatewayOp): Promise<GatewayResult> {
    const result = await this.runs.run(op);
    this.changed();
    return result;
  }

  history(): unknown[] {
    return this.runs.history();
  }

  /** The page contract's log: the lines' text, oldest first. */
  logs(): string[] {
    return this.logRing.lines.map((line) => line.text);
  }

  // ---------------------------------------------------------------- for the UI

  get logLines(): readonly LogLine[] {
    return this.logRing.lines;
  }

  /** Why the last message too large for the transport could not be sent (a bug), if any. */
  get unsendableError(): string | null {
    return this.transport?.stats.lastOversized ?? null;
  }

  get storageError(): string | null {
    return this.storage?.error?.message ?? this.storageOpenError;
  }

  /** The running node (null until storage is open): the views read its log and tree. */
  get zabNode(): ZabNode | null {
    return this.node;
  }

  /** Demo faults on this tab's links (null until the tab holds a seat). */
  get faults(): FaultFilter | null {
    return this.filter;
  }

  /** Seats the signaling server says hold a live tab (besides this one). */
  presentPeers(): ServerId[] {
    return this.transport?.presentPeers() ?? [];
  }

  /** Sets a one-shot data watch on `path` in this tab's own session; `fired` runs when it triggers. */
  async watch(path: string, fired: (type: string) => void): Promise<boolean> {
    const client = this.client;
    if (client === null || !this.node?.serving) return false;
    try {
      await client.exists(path, { watch: (event) => fired(event.type) });
      return true;
    } catch {
      return false;
    }
  }

  // ---------------------------------------------------------------- gateway, failure, shutdown

  private replaceClient(expired: TabKeeperClient): void {
    if (this.client !== expired || this.node === null) return;
    expired.abandon();
    this.client = this.newClient();
  }

  /** Stops serving for good and says why (status FAILED, error). The seat is released for a reload. */
  fail(message: string): void {
    if (this.failure !== null || this.closed) return;
    this.failure = message;
    this.log(`FAILED: ${message}`);
    this.shutdown();
    this.changed();
  }

  /** pagehide: close peer connections (the others notice within milliseconds), the node, storage, lock, socket. */
  shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.sweepTimer !== null) window.clearInterval(this.sweepTimer);
    if (this.zkSweepTimer !== null) window.clearInterval(this.zkSweepTimer);
    this.gateway?.abandonAll();
    this.zookeeper?.abandonAll();
    this.client?.abandon();
    this.node?.stop();
    this.filter?.close();
    this.transport?.close();
    this.storage?.close();
    this.lock?.release();
    this.signaling?.close();
    this.clock.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(this.failure ?? 'the page is closing');
  }

  private log(text: string): void {
    this.events.emit({ type: 'log', ...this.logRing.add(text) });
  }

  private changed(): void {
    this.events.emit({ type: 'changed' });
  }
}
