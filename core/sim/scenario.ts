import type { KvMachine, KvOp } from './kv-machine.ts';
import type { Message } from '../messages.ts';
import type { ApplyResult, StateMachineFactory } from '../state-machine.ts';
import type { PersistedState } from '../storage.ts';
import type { ServerId } from '../types.ts';
import { SimCluster } from './cluster.ts';
import type { Mark } from '../marks.ts';

type MessageFilter = (from: ServerId, to: ServerId, message: Message) => 'deliver' | 'drop';

export interface ScenarioOptions {
  readonly voters: number;
  readonly observers?: number;
  readonly snapshotEveryTxns?: number;
  readonly retainLogTxns?: number;
  readonly seed?: number;
  readonly trace?: boolean;
  readonly createMachine?: StateMachineFactory;
  /** Disk write latency; slow disks widen the window between sending a proposal and its being durable. */
  readonly writeLatencyMs?: readonly [number, number];
}

/** A request in flight; `result` is filled in when it completes. */
export interface Pending {
  result: ApplyResult | null;
}

/**
 * A small DSL over the simulator for named scenario tests (TigerBeetle's replica_test): a
 * cluster with calm, fixed timing, where the test — not a random schedule — decides what fails
 * and when. The StateChecker still watches every server; `check()` fails the test on anything
 * it saw.
 */
export class Scenario {
  readonly cluster: SimCluster;
  /** Active filters: a message is dropped if any says so (every filter sees every message). */
  private readonly filters = new Set<MessageFilter>();

  constructor(options: ScenarioOptions) {
    const servers = options.voters + (options.observers ?? 0);
    this.cluster = new SimCluster({
      seed: options.seed ?? 1,
      voters: options.voters,
      observers: options.observers ?? 0,
      timing: {
        electionTimeoutTicks: 5,
        initLimitTicks: 25,
        syncLimitTicks: 10,
        snapshotEveryTxns: options.snapshotEveryTxns ?? 1000,
        retainLogTxns: options.retainLogTxns ?? 500,
      },
      tickMs: 20,
      requestTimeoutMs: 5000,
      delayMsMin: 1,
      delayMsMax: 3,
      writeLatencyMsMin: options.writeLatencyMs?.[0] ?? 1,
      writeLatencyMsMax: options.writeLatencyMs?.[1] ?? 2,
      clockRates: Array.from({ length: servers }, () => 1),
      trace: options.trace ?? false,
      createMachine: options.createMachine,
    });
  }

  /** A started cluster with an established leader that every server follows. */
  static async started(options: ScenarioOptions): Promise<Scenario> {
    const scenario = new Scenario(options);
    scenario.cluster.startAll();
    await scenario.stabilize();
    return scenario;
  }

  get world() {
    return this.cluster.world;
  }

  /** Runs until `predicate` holds; fails with `what` (and the cluster's state) after `boundMs`. */
  async until(predicate: () => boolean, what: string, boundMs = 20_000): Promise<void> {
    const healthy = () => this.cluster.failure === null;
    await this.world.runWhile(() => healthy() && !predicate(), this.world.now + boundMs);
    this.check();
    if (!predicate()) throw new Error(`timed out after ${boundMs} ms waiting until ${what}\n${this.cluster.describe()}`);
  }

  async run(ms: number): Promise<void> {
    await this.world.runWhile(() => this.cluster.failure === null, this.world.now + ms);
    this.check();
  }

  /** Until an established leader is followed by every running server, all at its last zxid. */
  async stabilize(boundMs = 20_000): Promise<ServerId> {
    await this.until(() => this.isStable(), 'every running server serves one leader with its whole log', boundMs);
    return this.leader();
  }

  private isStable(): boolean {
    const leader = this.cluster.leader();
    if (leader === null) return false;
    const leaderServer = this.cluster.node(leader)!.inspect();
    return this.cluster.running().every((sid) => {
      const server = this.cluster.node(sid)!.inspect();
      return server.serving && server.currentEpoch === leaderServer.currentEpoch && this.sameZxid(server.committedZxid, leaderServer.log.lastZxid);
    });
  }

  private sameZxid(a: { epoch: number; counter: number }, b: { epoch: number; counter: number }): boolean {
    return a.epoch === b.epoch && a.counter === b.counter;
  }

  /** Throws what the StateChecker or an assertion in a server found. */
  check(): void {
    const failure = this.cluster.failure;
    if (failure) {
      const error = failure.error;
      throw new Error(`server ${failure.sid} failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    }
  }

  leader(): ServerId {
    const leader = this.cluster.leader();
    if (leader === null) throw new Error(`no established leader\n${this.cluster.describe()}`);
    return leader;
  }

  /** Running voters other than the leader. */
  followers(): ServerId[] {
    const leader = this.leader();
    return this.cluster.running().filter((sid) => sid !== leader && sid <= this.cluster.options.voters);
  }

  /** Sends put(key, value) through server `sid` without waiting. */
  submit(sid: ServerId, key: string, value: string): Pending {
    const pending: Pending = { result: null };
    const op: KvOp = { type: 'put', key, value };
    this.node(sid).request('op', op, (result) => (pending.result = result));
    return pending;
  }

  /** put(key, value) through server `sid`, waiting for its answer. */
  async write(sid: ServerId, key: string, value: string): Promise<ApplyResult> {
    const pending = this.submit(sid, key, value);
    await this.until(() => pending.result !== null, `put ${key}=${value} through ${sid} completes`);
    return pending.result!;
  }

  /** What server `sid` has applied for `key`. */
  value(sid: ServerId, key: string): string | undefined {
    return (this.node(sid).inspect().machine as KvMachine).get(key);
  }

  /** Whether server `sid`'s durable log holds a put of `value` (whatever it committed). */
  durablyLogged(sid: ServerId, value: string): boolean {
    return this.cluster.storage(sid).state().log.some((proposal) => (proposal.txn.op as KvOp | null)?.type === 'put' && (proposal.txn.op as { value: string }).value === value);
  }

  /** Whether `value` was ever committed by any server (the StateChecker's canonical history). */
  committed(value: string): boolean {
    return this.cluster.checker.committedTxns().some(({ txn }) => (txn.op as { value?: string } | null)?.value === value);
  }

  /**
   * Drops every message for which `predicate` holds, from now until `deliverAll()` or until the
   * returned function is called. Several drops may be active at once.
   */
  drop(predicate: (from: ServerId, to: ServerId, message: Message) => boolean): () => void {
    return this.addFilter((from, to, message) => (predicate(from, to, message) ? 'drop' : 'deliver'));
  }

  /** Runs `action` once, when the first message for which `predicate` holds is sent (it is delivered). */
  onceSent(predicate: (from: ServerId, to: ServerId, message: Message) => boolean, action: () => void): void {
    const remove = this.addFilter((from, to, message) => {
      if (predicate(from, to, message)) {
        remove();
        action();
      }
      return 'deliver';
    });
  }

  /** Removes every filter: every message is delivered again. */
  deliverAll(): void {
    this.filters.clear();
    this.cluster.network.setFilter(null);
  }

  private addFilter(filter: MessageFilter): () => void {
    this.filters.add(filter);
    this.cluster.network.setFilter((from, to, message) => {
      let verdict: 'deliver' | 'drop' = 'deliver';
      for (const each of [...this.filters]) if (each(from, to, message as Message) === 'drop') verdict = 'drop';
      return verdict;
    });
    return () => {
      this.filters.delete(filter);
      if (this.filters.size === 0) this.cluster.network.setFilter(null);
    };
  }

  /** Boots server `sid` (which must be down) from a chosen durable state instead of its own disk. */
  bootFrom(sid: ServerId, state: PersistedState): void {
    if (this.cluster.isRunning(sid)) throw new Error(`server ${sid} is running: crash it before booting it from a chosen state`);
    this.cluster.storage(sid).setDurable(state);
    this.cluster.start(sid);
  }

  /** The next storage write (or load: a reload after a role change) of server `sid` takes `ms` longer. */
  delayStorage(sid: ServerId, kind: 'write' | 'load', ms: number): void {
    this.cluster.storage(sid).delayNext(kind, ms);
  }

  /** Server `sid`'s timers stop (no ticks, no timeouts) until `resumeTimers`; it still handles messages. */
  pauseTimers(sid: ServerId): void {
    this.cluster.pauseTimers(sid);
  }

  resumeTimers(sid: ServerId): void {
    this.cluster.resumeTimers(sid);
  }

  mark(name: Mark): number {
    return this.cluster.marks.get(name) ?? 0;
  }

  node(sid: ServerId) {
    const node = this.cluster.node(sid);
    if (!node) throw new Error(`server ${sid} is not running`);
    return node;
  }
}
