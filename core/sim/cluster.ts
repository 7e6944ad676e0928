import type { ServerConfig } from '../config.ts';
import { KvMachine } from './kv-machine.ts';
import { Listeners } from '../listeners.ts';
import { decodeMessage, MAX_MESSAGE_BYTES, type Message } from '../messages.ts';
import { ZabNode } from '../node.ts';
import type { StateMachineFactory } from '../state-machine.ts';
import type { ServerId } from '../types.ts';
import { compareZxid, formatZxid } from '../zxid.ts';
import { lastLoggedZxid } from '../persist-batch.ts';
import type { PersistedState } from '../storage.ts';
import { SimNetwork, type NetworkTraceEvent } from './network.ts';
import { Prng } from './prng.ts';
import { SimClock } from './sim-clock.ts';
import { SimStorage } from './sim-storage.ts';
import { StateChecker } from './state-checker.ts';
import { SimWorld } from './world.ts';

export interface ClusterOptions {
  readonly seed: number;
  readonly voters: number;
  readonly observers: number;
  /** Protocol timing shared by every server (sid is filled in per server). */
  readonly timing: Omit<ServerConfig, 'sid' | 'voterCount'>;
  readonly tickMs: number;
  readonly requestTimeoutMs: number;
  readonly delayMsMin: number;
  readonly delayMsMax: number;
  readonly writeLatencyMsMin: number;
  readonly writeLatencyMsMax: number;
  /** Clock rate of each server (index sid - 1): skew against world time. */
  readonly clockRates: readonly number[];
  /** Keep a readable trace of every log line, delivery and fault. */
  readonly trace: boolean;
  /** The replicated state machine (default: the key-value machine). */
  readonly createMachine?: StateMachineFactory;
  /** Compare every server's state digest after every txn (affordable for the small trees of tree workloads). */
  readonly digestEveryApply?: boolean;
}

/**
 * A simulated TabKeeper cluster: N voters and some observers, each a real ZabNode with the
 * KvMachine, over a SimNetwork, SimStorage and skewed SimClocks, all on one SimWorld. The
 * StateChecker watches every server. Faults are plain methods (RaftScope's stop/restart/drop).
 */
export class SimCluster {
  readonly world = new SimWorld();
  readonly prng: Prng;
  readonly network: SimNetwork;
  readonly checker = new StateChecker();
  readonly marks = new Map<string, number>();
  readonly traceLines: string[] = [];
  /** Messages refused at the boundary (malformed, spoofed) by servers that have since stopped. */
  private refusedByStopped = 0;
  private readonly deliveryListeners = new Listeners<[ServerId, ServerId, unknown]>();
  /** Extra network listeners (the trace recorder), besides the readable trace and the delivery listeners. */
  private readonly networkListeners = new Listeners<[NetworkTraceEvent]>();
  private readonly noteListeners = new Listeners<[string]>();
  /** Whether the network's one trace slot forwards to the listeners above yet. */
  private forwardingNetwork = false;
  /** The first error that stopped a server (a broken assertion or a SafetyViolation). */
  failure: { readonly sid: ServerId; readonly error: unknown } | null = null;
  private readonly storages = new Map<ServerId, SimStorage>();
  private readonly nodes = new Map<ServerId, ZabNode>();
  private readonly clocks = new Map<ServerId, SimClock>();
  /** World time at which each stopped server stopped. */
  private readonly stoppedAt = new Map<ServerId, number>();

  constructor(readonly options: ClusterOptions) {
    this.prng = new Prng(options.seed);
    this.network = new SimNetwork(this.world, this.prng.fork(), { delayMsMin: options.delayMsMin, delayMsMax: options.delayMsMax });
    const storagePrng = this.prng.fork();
    for (const sid of this.sids()) {
      this.storages.set(sid, new SimStorage(this.world, storagePrng, { writeLatencyMsMin: options.writeLatencyMsMin, writeLatencyMsMax: options.writeLatencyMsMax, label: `s${sid}-` }));
    }
    if (options.trace) this.network.onTrace((event) => this.traceNetwork(event));
    // A message no transport can frame is a bug, never a silent drop: the run fails loudly.
    this.network.onOversized((from, to, message, bytes) => {
      const error = new Error(`${from}->${to} ${describeMessage(message)} is ${bytes} bytes, above the transport's limit of ${MAX_MESSAGE_BYTES}`);
      this.note(error.message);
      this.failure ??= { sid: from, error };
    });
  }

  /**
   * Calls `listener` for every network event (send, deliver, drop, link up and down). The
   * network has one trace slot, so this takes it over and forwards to what used it before.
   */
  onNetworkEvent(listener: (event: NetworkTraceEvent) => void): void {
    this.networkListeners.add(listener);
    this.forwardNetwork();
  }

  /** Calls `listener` with every note (start, crash, fault, phase), traced or not. */
  onNote(listener: (text: string) => void): void {
    this.noteListeners.add(listener);
  }

  /** Calls `listener` for every delivered message (the junk injector records some to replay). */
  onDelivery(listener: (from: ServerId, to: ServerId, message: unknown) => void): void {
    this.deliveryListeners.add(listener);
    this.forwardNetwork();
  }

  /** Takes over the network's one trace slot (once), keeping the readable trace it served. */
  private forwardNetwork(): void {
    if (this.forwardingNetwork) return;
    this.forwardingNetwork = true;
    this.network.onTrace((event) => {
      if (this.options.trace) this.traceNetwork(event);
      if (event.kind === 'deliver') this.deliveryListeners.emit(event.from, event.to, event.message);
      this.networkListeners.emit(event);
    });
  }

  /** Messages every server, running or not, refused at its boundary. */
  refusedMessages(): number {
    let refused = this.refusedByStopped;
    for (const node of this.nodes.values()) refused += node.stats.droppedMessages;
    return refused;
  }

  /** Voters 1..N, then observers. */
  sids(): ServerId[] {
    const sids: ServerId[] = [];
    for (let sid = 1; sid <= this.options.voters + this.options.observers; sid++) sids.push(sid);
    return sids;
  }

  node(sid: ServerId): ZabNode | undefined {
    return this.nodes.get(sid);
  }

  running(): ServerId[] {
    return [...this.nodes.keys()].sort((a, b) => a - b);
  }

  isRunning(sid: ServerId): boolean {
    return this.nodes.has(sid);
  }

  storage(sid: ServerId): SimStorage {
    return this.storages.get(sid)!;
  }

  startAll(): void {
    for (const sid of this.sids()) this.start(sid);
  }

  /** Boots (or restarts) a server from its storage. */
  start(sid: ServerId): void {
    if (this.nodes.has(sid)) return;
    this.note(`start ${sid}`);
    const clock = new SimClock(this.world, { rate: this.options.clockRates[sid - 1] ?? 1, offsetMs: 1000 * sid });
    const options = this.options;
    const node = new ZabNode({
      config: { sid, voterCount: options.voters, ...options.timing },
      createMachine: options.createMachine ?? (() => new KvMachine()),
      transport: this.network.attach(sid),
      storage: this.storage(sid).open(),
      clock,
      tickMs: options.tickMs,
      requestTimeoutMs: options.requestTimeoutMs,
      // As the tab's microtask: a request's write starts after the rest of this instant's events.
      deferWrites: (release) => void this.world.schedule(this.world.now, release),
      hooks: {
        log: options.trace ? (line) => this.traceLines.push(`${this.time()} ${line}`) : undefined,
        mark: (name) => this.marks.set(name, (this.marks.get(name) ?? 0) + 1),
        event: (event) => this.checker.onEvent(sid, event),
        digestAfterApply: options.digestEveryApply ? (zxid, digest) => this.checker.onDigest(sid, zxid, digest) : undefined,
      },
    });
    node.onApplied((applied) => this.checker.onApplied(sid, applied.proposal));
    node.onFailure((error) => {
      this.failure ??= { sid, error };
      this.note(`server ${sid} failed: ${error instanceof Error ? error.message : String(error)}`);
    });
    this.nodes.set(sid, node);
    this.clocks.set(sid, clock);
    node.start();
  }

  /** The server's timers stop firing (ticks, request timeouts) until `resumeTimers`: a throttled background tab. */
  pauseTimers(sid: ServerId): void {
    this.note(`pause timers of ${sid}`);
    this.clocks.get(sid)?.pause();
  }

  resumeTimers(sid: ServerId): void {
    this.note(`resume timers of ${sid}`);
    this.clocks.get(sid)?.resume();
  }

  /** The server dies at once: no clean close, its peers' channels stay open (docs/BROWSER.md). */
  crash(sid: ServerId): void {
    this.kill(sid, false);
  }

  /** A tab closes cleanly: `pagehide` closes its peer connections, so peers notice at once. */
  close(sid: ServerId): void {
    this.kill(sid, true);
  }

  private kill(sid: ServerId, notify: boolean): void {
    const node = this.nodes.get(sid);
    if (!node) return;
    this.note(`${notify ? 'close' : 'crash'} ${sid}`);
    this.refusedByStopped += node.stats.droppedMessages;
    node.stop();
    this.clocks.get(sid)!.stop();
    this.network.detach(sid, { notify });
    this.storage(sid).crash();
    this.storage(sid).keepCopy();
    this.stoppedAt.set(sid, this.world.now);
    this.nodes.delete(sid);
    this.clocks.delete(sid);
  }

  /**
   * Amnesia: the seat's storage is replaced by a blank one with a new storageId (a tab of another
   * browser profile takes the freed seat). The server must be down.
   */
  wipe(sid: ServerId): void {
    this.storage(sid).wipe();
    this.marks.set('fault: wipe', (this.marks.get('fault: wipe') ?? 0) + 1);
    this.note(`wipe ${sid}: storage ${this.storage(sid).id}`);
    // Before anything committed there is nothing to forget (and a new cluster is founded by blank storages).
    if (this.checker.committedCount > 0) this.checker.markAmnesiac(sid, this.storage(sid).id, null);
  }

  /** How long server `sid` has been down (ms); Infinity if it never ran, 0 if it runs. */
  downForMs(sid: ServerId): number {
    if (this.nodes.has(sid)) return 0;
    const at = this.stoppedAt.get(sid);
    return at === undefined ? Infinity : this.world.now - at;
  }

  /** The seat's storage goes back to an old copy with the same storageId (a restored backup). The server must be down. */
  rollBack(sid: ServerId, copy: PersistedState): void {
    this.storage(sid).rollBack(copy);
    this.marks.set('fault: rollback', (this.marks.get('fault: rollback') ?? 0) + 1);
    this.note(`roll back ${sid} to a copy at epoch ${copy.currentEpoch}, last ${formatZxid(lastLoggedZxid(copy))}`);
    const storage = this.storage(sid);
    const committed = this.checker.lastCommitted;
    const storageId = storage.id;
    this.checker.markAmnesiac(sid, storageId, copy.currentEpoch, () => storage.id === storageId && compareZxid(lastLoggedZxid(storage.state()), committed) >= 0);
  }

  /**
   * A serving server for a client to connect to, at random, preferably not `previous` (a client
   * moving away from a server it lost); null when none serves.
   */
  pickServingServer(prng: Prng, previous: ServerId | null): ZabNode | null {
    const serving = this.running().filter((sid) => this.nodes.get(sid)!.serving);
    const others = serving.filter((sid) => sid !== previous);
    const pool = others.length > 0 ? others : serving;
    return pool.length === 0 ? null : this.nodes.get(prng.pick(pool))!;
  }

  /** The established leader with the highest epoch among running servers, if any. */
  leader(): ServerId | null {
    let best: ServerId | null = null;
    let bestEpoch = -1;
    for (const [sid, node] of this.nodes) {
      const server = node.inspect();
      if (server.state === 'LEADING' && server.serving && server.currentEpoch > bestEpoch) {
        best = sid;
        bestEpoch = server.currentEpoch;
      }
    }
    return best;
  }

  /** Whether the leader serves a quorum of synced voters (itself included). */
  hasServingQuorum(): boolean {
    const leader = this.leader();
    if (leader === null) return false;
    const epoch = this.nodes.get(leader)!.inspect().currentEpoch;
    let serving = 0;
    for (const [sid, node] of this.nodes) {
      if (sid <= this.options.voters && node.inspect().serving && node.inspect().currentEpoch === epoch) serving++;
    }
    return serving >= Math.floor(this.options.voters / 2) + 1;
  }

  note(text: string): void {
    if (this.options.trace) this.traceLines.push(`${this.time()} ** ${text}`);
    this.noteListeners.emit(text);
  }

  time(): string {
    return `t=${this.world.now.toFixed(1).padStart(8)}`;
  }

  describe(): string {
    return this.sids()
      .map((sid) => {
        const node = this.nodes.get(sid);
        if (!node) return `${sid}: down`;
        const view = node.view();
        return `${sid}: ${view.state}${view.serving ? ' serving' : ''} epoch ${view.currentEpoch}/${view.acceptedEpoch} last ${formatZxid(view.lastZxid)} committed ${formatZxid(view.committedZxid)} digest ${view.digest}`;
      })
      .join('\n');
  }

  private traceNetwork(event: NetworkTraceEvent): void {
    if (event.kind === 'send') return; // 'deliver' and 'drop' say everything a reader needs
    // What travels may be junk (fuzz tests): describe only what the servers' validator accepts.
    const decoded = event.message === null ? null : decodeMessage(event.message);
    const what = decoded === null ? event.kind : decoded.ok ? describeMessage(decoded.message) : `junk (${decoded.reason.slice(0, 60)})`;
    const reason = event.reason ? ` (${event.reason})` : '';
    this.traceLines.push(`${this.time()}   ${event.from}->${event.to} ${event.kind === 'deliver' ? '' : `${event.kind} `}${what}${reason}`);
  }
}

/** ` once s1 #2` for an exactly-once write (core/tree/exactly-once.ts) or its replay; '' for anything else. */
function numberedWrite(op: unknown): string {
  const once = op as { type?: unknown; sessionId?: unknown; requestNumber?: unknown } | null;
  if (once === null || typeof once !== 'object' || (once.type !== 'once' && once.type !== 'onceReplay')) return '';
  return ` ${String(once.type)} ${String(once.sessionId)} #${String(once.requestNumber)}`;
}

/** One-line summary of a message for traces: its kind and the zxids or epochs it carries. */
export function describeMessage(message: Message): string {
  switch (message.kind) {
    case 'transaction_proposal':
    case 'inform':
      return `${message.kind} ${formatZxid(message.proposal.zxid)}${numberedWrite(message.proposal.txn.op)}`;
    case 'transaction_request':
      return `${message.kind}${numberedWrite(message.op)}`;
    case 'transaction_acknowledge':
    case 'transaction_commit':
    case 'TRUNC':
    case 'NEWLEADER':
      return `${message.kind} ${formatZxid(message.zxid)}`;
    case 'DIFF':
      return `DIFF after ${formatZxid(message.prevZxid)} x${message.proposals.length}`;
    case 'SNAP':
      return `SNAP ${formatZxid(message.zxid)} chunk ${message.index + 1}/${message.count}`;
    case 'UPTODATE':
      return `UPTODATE ${formatZxid(message.committedZxid)}`;
    case 'election':
    case 'higher_id':
    case 'lower_id':
    case 'coordinator':
      return `${message.kind} (${message.rank.currentEpoch}, ${formatZxid(message.rank.lastZxid)})`;
    case 'NEWEPOCH':
    case 'ACKNEWLEADER':
    case 'PING':
    case 'PONG':
      return `${message.kind} ${message.epoch}`;
    default:
      return message.kind;
  }
}
