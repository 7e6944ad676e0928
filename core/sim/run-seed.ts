import type { KvOp } from './kv-machine.ts';
import { SimCluster } from './cluster.ts';
import { injectFault } from './faults.ts';
import { JunkInjector } from './junk.ts';
import { checkHistory, checkZkHistory, formatFailure, formatZkFailure, type HistoryRecord, type ZkHistoryRecord } from './linearizability/index.ts';
import { KvMachine } from './kv-machine.ts';
import { DataTree } from '../tree/index.ts';
import type { SimClientLoop } from './client-loop.ts';
import { SimClient } from './sim-client.ts';
import { SimTreeClient } from './sim-tree-client.ts';
import { RejoinWatch, injectSustainedFault } from './sustained.ts';
import { describeSwarm, swarmOptions, type SwarmOptions, type SwarmRequest } from './swarm.ts';
import { tagOf } from './values.ts';
import type { SimTrace } from '../trace-format.ts';
import { TraceRecorder } from './trace-recorder.ts';

export interface SeedResult {
  readonly seed: number;
  readonly ok: boolean;
  /** What broke, readable; null when ok. */
  readonly failure: string | null;
  readonly options: SwarmOptions;
  readonly summary: string;
  readonly linearizability: 'Ok' | 'Illegal' | 'Unknown';
  readonly committed: number;
  readonly operations: number;
  readonly epochs: number;
  readonly simulatedMs: number;
  readonly marks: ReadonlyMap<string, number>;
  readonly history: readonly (HistoryRecord | ZkHistoryRecord)[];
  /** Log lines, deliveries and faults; empty unless the request asked for a trace. */
  readonly trace: readonly string[];
  /** Bad input fed to the servers, and how much of it (or of anything) they refused. */
  readonly junk: { readonly injected: number; readonly malformed: number; readonly refused: number };
  readonly junkByKind: Readonly<Record<string, number>>;
  /** Time from the liveness phase's leader crash to the next established leader with a serving quorum (null if not reached). */
  readonly failoverMs: number | null;
  readonly failoverBoundMs: number;
  /** Sustained load: restarted servers that served again, and the slowest of them (ms from restart). */
  readonly rejoin: { readonly count: number; readonly slowestMs: number };
  /** The run as a trace for the browser app's replay; null unless the request asked to record. */
  readonly recording: SimTrace | null;
}

/** How to run one seed beyond the swarm's options. */
export interface RunOptions {
  /** Record a trace for the app's replay (core/trace-format.ts). */
  readonly record?: boolean;
}

/**
 * The liveness phase crashes the established leader once (a killed renderer) and requires the
 * next leader to be established with a serving quorum within this bound, from the seed's own
 * timing: noticing the crash (syncLimit) and an election round with its coordinator (3
 * election timeouts) on the slowest clock, then discovery and sync: five durable writes in a
 * row on the slowest disk and a dozen one-way messages. Two leader-elects waiting out initLimit
 * (60 ticks) do not fit in it.
 */
export function failoverBoundMs(options: SwarmOptions): number {
  const cluster = options.cluster;
  const tickMs = cluster.tickMs / Math.min(...cluster.clockRates);
  const writeMs = Math.max(cluster.writeLatencyMsMax, options.slowDisks.length > 0 ? options.slowDiskLatencyMs[1] : 0);
  return Math.round(tickMs * (cluster.timing.syncLimitTicks + 3 * cluster.timing.electionTimeoutTicks) + 5 * writeMs + 12 * cluster.delayMsMax + 200);
}

class SeedFailure extends Error {}

/**
 * One VOPR-style run: a safety phase with random faults while clients read and write, then a
 * liveness phase (faults stop, the network heals, every server restarts) that must elect a
 * leader, complete every client's writes and converge all servers within a bound. Safety is
 * checked throughout by the StateChecker and at the end against the clients' history.
 */
export async function runSeed(request: SwarmRequest, run: RunOptions = {}): Promise<SeedResult> {
  const options = swarmOptions(request);
  const tree = options.workload === 'tree';
  const cluster = new SimCluster({ ...options.cluster, createMachine: tree ? () => new DataTree() : () => new KvMachine(), digestEveryApply: tree });
  for (const sid of options.slowDisks) cluster.storage(sid).setWriteLatency(...options.slowDiskLatencyMs);
  const world = cluster.world;
  const recorder = run.record ? new TraceRecorder(cluster) : null;
  const faultPrng = cluster.prng.fork();
  const history: HistoryRecord[] = [];
  const treeHistory: ZkHistoryRecord[] = [];
  const clients: SimClientLoop<unknown>[] = Array.from({ length: options.clients }, (_, index) => {
    const client = { id: index + 1, cluster, prng: cluster.prng.fork(), thinkMsMax: options.clientThinkMsMax, bigValues: options.bigValues };
    return tree
      ? new SimTreeClient({ ...client, history: treeHistory }, ['/a', '/b', '/c', '/d'].slice(0, options.keys))
      : new SimClient({ ...client, history }, Array.from({ length: options.keys }, (_, key) => `k${key}`));
  });
  const junk = request.junk ? new JunkInjector(cluster, cluster.prng.fork(), request.junk) : null;
  if (junk) {
    cluster.onDelivery((from, to, message) => junk.record(from, to, message));
  }
  let failure: string | null = null;
  let failoverMs: number | null = null;
  let failoverBound = 0;
  let rejoinMs = 0;
  let rejoinCount = 0;
  let linearizability: SeedResult['linearizability'] = 'Ok';
  const healthy = () => cluster.failure === null;
  const failed = (what: string): never => {
    throw new SeedFailure(`${what}\n${cluster.describe()}`);
  };
  try {
    cluster.note(describeSwarm(options));
    cluster.startAll();
    for (const client of clients) client.start();
    junk?.start();
    cluster.network.setDelayRange(Math.min(options.faultDelayMsMin, options.faultDelayMsMax), options.faultDelayMsMax);

    // Safety phase: faults at random intervals. Under sustained load only crashes, closes and
    // restarts that leave a quorum, and every restarted server must serve again within a bound.
    const rejoins = options.load === 'sustained' ? new RejoinWatch(cluster, 2 * failoverBoundMs(options)) : null;
    const onTime = () => rejoins === null || rejoins.overdue() === null;
    while (healthy() && world.now < options.faultPhaseMs) {
      const gap = Math.max(1, Math.round(-Math.log(1 - faultPrng.next()) * options.faultIntervalMsMean));
      await world.runWhile(() => healthy() && onTime(), Math.min(world.now + gap, options.faultPhaseMs));
      const late = rejoins?.overdue() ?? null;
      if (healthy() && late !== null) failed(`liveness: server ${late.sid} restarted ${late.waitedMs.toFixed(0)} ms ago and does not serve yet (bound ${rejoins!.boundMs} ms)`);
      if (healthy() && world.now < options.faultPhaseMs) cluster.note(rejoins ? injectSustainedFault(cluster, faultPrng, rejoins) : injectFault(cluster, faultPrng, options.faultWeights));
    }
    if (rejoins) {
      rejoinMs = rejoins.slowestMs;
      rejoinCount = rejoins.rejoins;
    }

    // Liveness phase: everything heals; a leader must be established and every client progress.
    cluster.note('liveness phase: faults stop, the network heals, every server runs');
    junk?.stop();
    cluster.network.heal();
    cluster.network.setDelayRange(options.cluster.delayMsMin, options.cluster.delayMsMax);
    for (const sid of cluster.sids()) cluster.start(sid);
    let deadline = world.now + options.livenessBoundMs;
    const before = clients.map((client) => client.successes);
    const progressed = () => cluster.hasServingQuorum() && clients.every((client, index) => client.successes >= before[index]! + 3);
    await world.runWhile(() => healthy() && !progressed(), deadline);
    if (healthy() && !progressed()) failed(`liveness: no leader with a serving quorum, or clients stuck, ${options.livenessBoundMs} ms after faults stopped`);

    // The leader crashes (or its tab closes): the next one must be established within the bound
    // (with three voters or more: the others are still a quorum).
    if (options.cluster.voters >= 3) {
      // First every voter serves: a storage that was wiped or rolled back is re-admitted (core/seats.ts),
      // or the others would not be a quorum without the leader.
      const voters = cluster.sids().filter((sid) => sid <= options.cluster.voters);
      // Serving is not enough: a synced storage counts only once its seat record has committed.
      const admittedByLeader = () => {
        const leader = cluster.leader();
        const committed = leader === null ? null : cluster.node(leader)?.inspect().admission.committed;
        return committed != null && voters.every((sid) => committed.get(sid)?.storageId === cluster.node(sid)?.inspect().admission.storageId);
      };
      const allServe = () => voters.every((sid) => cluster.node(sid)?.serving === true) && admittedByLeader();
      await world.runWhile(() => healthy() && !allServe(), deadline);
      if (healthy() && !allServe()) failed(`liveness: not every voter serves ${options.livenessBoundMs} ms after faults stopped (a storage not re-admitted?)`);
      const crashed = cluster.leader()!;
      const cleanly = faultPrng.chance(0.5);
      failoverBound = failoverBoundMs(options);
      cluster.note(`liveness: the leader ${crashed} ${cleanly ? 'closes' : 'crashes'}; the next must serve within ${failoverBound} ms`);
      if (cleanly) cluster.close(crashed);
      else cluster.crash(crashed);
      const crashedAt = world.now;
      const failedOver = () => cluster.leader() !== null && cluster.hasServingQuorum();
      await world.runWhile(() => healthy() && !failedOver(), crashedAt + options.livenessBoundMs);
      if (healthy() && failedOver()) failoverMs = world.now - crashedAt;
      if (healthy() && (failoverMs === null || failoverMs > failoverBound)) {
        failed(`liveness: ${failoverMs === null ? 'no leader' : `the next leader took ${failoverMs.toFixed(0)} ms`} after leader ${crashed} ${cleanly ? 'closed' : 'crashed'} (bound ${failoverBound} ms)`);
      }
      cluster.start(crashed);
      deadline = world.now + options.livenessBoundMs;
    }

    for (const client of clients) client.stop();
    const converged = () => clients.every((client) => client.idle) && isConverged(cluster);
    await world.runWhile(() => healthy() && !converged(), deadline);
    if (healthy() && !converged()) failed('liveness: servers did not converge on one committed state');

    if (!healthy()) {
      const { sid, error } = cluster.failure!;
      failed(`server ${sid} failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    }
    if (tree) {
      checkNoAcknowledgedTreeWriteLost(cluster, treeHistory);
      const backInTime = clients.flatMap((client) => (client as SimTreeClient).readsBackInTime);
      if (backInTime.length > 0) failed(`plain reads went back in time:\n${backInTime.slice(0, 5).join('\n')}`);
    } else {
      checkNoAcknowledgedWriteLost(cluster, history);
    }
    if (junk && cluster.refusedMessages() > junk.malformed) {
      failed(`servers refused ${cluster.refusedMessages()} messages but only ${junk.malformed} malformed ones were injected: real traffic was refused`);
    }
    if (!junk && cluster.refusedMessages() > 0) failed(`servers refused ${cluster.refusedMessages()} messages of real traffic`);
    if (tree) {
      const verdict = checkZkHistory(treeHistory);
      linearizability = verdict.result;
      if (verdict.result === 'Illegal') failed(`history is not linearizable:\n${verdict.failure ? formatZkFailure(verdict.failure) : ''}`);
    } else {
      const verdict = checkHistory(history);
      linearizability = verdict.result;
      if (verdict.result === 'Illegal') failed(`history is not linearizable:\n${verdict.failure ? formatFailure(verdict.failure) : ''}`);
    }
  } catch (error) {
    failure = error instanceof SeedFailure ? error.message : error instanceof Error ? `${error.name}: ${error.message}\n${error.stack}` : String(error);
  }
  return {
    seed: request.seed,
    ok: failure === null,
    failure,
    options,
    summary: describeSwarm(options),
    linearizability,
    committed: cluster.checker.committedCount,
    operations: history.length + treeHistory.length,
    epochs: cluster.checker.leaders().size,
    simulatedMs: world.now,
    marks: cluster.marks,
    history: tree ? treeHistory : history,
    trace: cluster.traceLines,
    junk: {
      injected: junk ? [...junk.injected.values()].reduce((sum, count) => sum + count, 0) : 0,
      malformed: junk?.malformed ?? 0,
      refused: cluster.refusedMessages(),
    },
    junkByKind: Object.fromEntries(junk?.injected ?? []),
    failoverMs,
    failoverBoundMs: failoverBound,
    rejoin: { count: rejoinCount, slowestMs: rejoinMs },
    recording:
      recorder?.finish({
        seed: request.seed,
        voters: options.cluster.voters,
        observers: options.cluster.observers,
        workload: options.workload,
        summary: describeSwarm(options),
        ok: failure === null,
        failure,
      }) ?? null,
  };
}

/** Every server runs, serves, and has applied the same last committed txn with the same digest. */
function isConverged(cluster: SimCluster): boolean {
  const leader = cluster.leader();
  if (leader === null) return false;
  const target = cluster.node(leader)!.inspect().log.lastZxid;
  let digest: string | null = null;
  for (const sid of cluster.sids()) {
    const node = cluster.node(sid);
    if (!node || !node.inspect().serving) return false;
    const server = node.inspect();
    if (server.committedZxid.epoch !== target.epoch || server.committedZxid.counter !== target.counter) return false;
    const own = server.machine.digest();
    if (digest !== null && own !== digest) return false;
    digest = own;
  }
  return true;
}

/** A create or setData a client saw succeed must be in the committed history, with its data. */
function checkNoAcknowledgedTreeWriteLost(cluster: SimCluster, history: readonly ZkHistoryRecord[]): void {
  const committed = new Set<string>();
  for (const { txn } of cluster.checker.committedTxns()) {
    // A numbered write (exactly-once) carries the tree's txn inside it.
    const outer = txn.op as { type?: string; txn?: unknown } | null;
    const op = (outer?.type === 'once' ? outer.txn : outer) as { type?: string; path?: string; data?: string } | null;
    if (txn.type === 'op' && (op?.type === 'create' || op?.type === 'setData')) committed.add(`${op.type} ${op.path} ${tagOf(op.data ?? '')}`);
  }
  for (const record of history) {
    if (record.ok !== true || (record.op !== 'create' && record.op !== 'setData')) continue;
    const path = record.op === 'create' ? String(record.result) : record.path;
    if (!committed.has(`${record.op} ${path} ${record.value}`)) {
      throw new SeedFailure(`lost write: client ${record.client} ${record.op} ${path}=${record.value} (returned at ${record.return}) is not in the committed history`);
    }
  }
}

/** A put a client saw succeed must be in the committed history (docs/ARCHITECTURE.md: no committed write is lost). */
function checkNoAcknowledgedWriteLost(cluster: SimCluster, history: readonly HistoryRecord[]): void {
  const committedValues = new Set<string>();
  for (const { txn } of cluster.checker.committedTxns()) {
    const op = txn.op as KvOp | null;
    if (txn.type === 'op' && op?.type === 'put') committedValues.add(`${op.key}=${tagOf(op.value)}`);
  }
  for (const record of history) {
    if (record.op === 'put' && record.ok === true && !committedValues.has(`${record.path}=${record.value}`)) {
      throw new SeedFailure(`lost write: client ${record.client} put ${record.path}=${record.value} (returned at ${record.return}) is not in the committed history`);
    }
  }
}
