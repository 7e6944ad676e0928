import type { ClusterOptions } from './cluster.ts';
import type { JunkOptions } from './junk.ts';
import { Prng } from './prng.ts';

/** The kinds of fault a schedule may inject. */
export const FAULT_KINDS = [
  'crash',
  'crashMany',
  'close',
  'restart',
  'partition',
  'isolate',
  'cutOneWay',
  'cutLink',
  'restoreLink',
  'heal',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Everything one seed runs with. The seed alone determines it (TigerBeetle's options_swarm). */
export interface SwarmOptions {
  readonly cluster: ClusterOptions;
  readonly clients: number;
  readonly keys: number;
  readonly clientThinkMsMax: number;
  /** How long faults are injected before the liveness phase. */
  readonly faultPhaseMs: number;
  /** Mean time between two faults. */
  readonly faultIntervalMsMean: number;
  /** Relative weight of each fault kind (swarm testing: some seeds never crash, some only partition…). */
  readonly faultWeights: Readonly<Record<FaultKind, number>>;
  readonly workload: 'kv' | 'tree';
  /** `sustained`: clients never pause, and faults are crashes and restarts that leave a quorum (core/sim/sustained.ts). */
  readonly load: 'bursty' | 'sustained';
  /** Some writes carry values up to 1 MiB (core/sim/values.ts). */
  readonly bigValues: boolean;
  /** Once faults stop and a quorum is connected: time allowed to elect, finish writes and converge. */
  readonly livenessBoundMs: number;
  /**
   * Message delays while faults run. They may exceed every protocol timeout (a congested
   * network): elections then race, stale leaders-elect appear and messages arrive late — the
   * schedules that exercise the rules meant for them. The liveness phase uses the cluster's tame
   * delays.
   */
  readonly faultDelayMsMin: number;
  readonly faultDelayMsMax: number;
  /** Servers whose disk is much slower than the others' (then acks and own votes race their writes). */
  readonly slowDisks: readonly number[];
  readonly slowDiskLatencyMs: readonly [number, number];
}

export interface SwarmRequest {
  readonly seed: number;
  readonly voters: number;
  readonly observers: number;
  readonly trace: boolean;
  /** Feed the servers bad input between real traffic during the fault phase. */
  readonly junk?: JunkOptions;
  /** What the clients run: puts and gets on the key-value machine (default), or the ZooKeeper API on the data tree. */
  readonly workload?: 'kv' | 'tree';
  /** `sustained`: writers never pause while servers crash, restart and rejoin; restarts must serve again within a bound. */
  readonly load?: 'bursty' | 'sustained';
  /** Values up to 1 MiB in some writes. */
  readonly bigValues?: boolean;
}

export function swarmOptions(request: SwarmRequest): SwarmOptions {
  const prng = new Prng(request.seed ^ 0x5eed5eed);
  const servers = request.voters + request.observers;
  const tickMs = 20;
  const faultWeights = {} as Record<FaultKind, number>;
  for (const kind of FAULT_KINDS) faultWeights[kind] = prng.chance(0.2) ? 0 : prng.int(1, 10);
  faultWeights.restart += 5; // crashed servers come back, or the schedule runs out of servers
  faultWeights.heal += 2;
  const delayMsMax = prng.int(2, 40);
  const congested = prng.chance(0.4);
  const faultDelayMsMax = congested ? prng.int(40, 400) : delayMsMax;
  const skewed = prng.chance(0.3);
  const load = request.load ?? 'bursty';
  const sustained = load === 'sustained';
  return {
    cluster: {
      seed: request.seed,
      voters: request.voters,
      observers: request.observers,
      timing: {
        // Round trips must fit in an election round: delays stay below half of it.
        electionTimeoutTicks: 5,
        // As the tab app's: discovery and sync (four durable writes in a row on disks of up to
        // 150 ms, on clocks up to 1.5x fast) must fit, or a slow joiner retries forever.
        initLimitTicks: 60,
        syncLimitTicks: 10,
        snapshotEveryTxns: prng.int(3, 60),
        retainLogTxns: prng.int(0, 20),
      },
      tickMs,
      requestTimeoutMs: 3000,
      delayMsMin: prng.int(0, Math.min(5, delayMsMax)),
      delayMsMax,
      // Some seeds get a slow disk: long windows in which a proposal is sent but not yet durable.
      writeLatencyMsMin: prng.int(0, 2),
      writeLatencyMsMax: prng.chance(0.3) ? prng.int(20, 150) : prng.int(2, 12),
      clockRates: Array.from({ length: servers }, () => (skewed ? 0.5 + prng.next() : 0.9 + prng.next() * 0.2)),
      trace: request.trace,
    },
    workload: request.workload ?? 'kv',
    load,
    bigValues: request.bigValues ?? false,
    clients: prng.int(1, 5),
    keys: prng.int(1, 4),
    // Drawn in every mode, so that the other options of a seed do not depend on the load.
    clientThinkMsMax: Math.min(prng.int(0, 40), sustained ? 0 : 40),
    faultPhaseMs: prng.int(2000, 8000),
    faultIntervalMsMean: prng.int(100, 1200),
    faultWeights,
    livenessBoundMs: 30_000,
    faultDelayMsMin: congested && !sustained ? prng.int(0, 20) : 0,
    faultDelayMsMax: sustained ? delayMsMax : faultDelayMsMax,
    slowDisks: Array.from({ length: servers }, (_, index) => index + 1).filter(() => prng.chance(0.15)),
    slowDiskLatencyMs: [prng.int(10, 30), prng.int(30, 120)],
  };
}

/** `SEED=… key=value …`: the line every run prints first, so a failure can be read and replayed. */
export function describeSwarm(options: SwarmOptions): string {
  const cluster = options.cluster;
  const weights = Object.entries(options.faultWeights)
    .filter(([, weight]) => weight > 0)
    .map(([kind, weight]) => `${kind}:${weight}`)
    .join(',');
  return [
    `SEED=${cluster.seed}`,
    `workload=${options.workload}`,
    `load=${options.load}`,
    `values=${options.bigValues ? 'big' : 'small'}`,
    `voters=${cluster.voters}`,
    `observers=${cluster.observers}`,
    `clients=${options.clients}`,
    `keys=${options.keys}`,
    `delay=${cluster.delayMsMin}..${cluster.delayMsMax}ms`,
    `faultDelay=${options.faultDelayMsMin}..${options.faultDelayMsMax}ms`,
    `clocks=${cluster.clockRates.map((rate) => rate.toFixed(2)).join(',')}`,
    `write=${cluster.writeLatencyMsMin}..${cluster.writeLatencyMsMax}ms`,
    `slowDisks=${options.slowDisks.join(',') || 'none'}@${options.slowDiskLatencyMs[0]}..${options.slowDiskLatencyMs[1]}ms`,
    `snapshotEvery=${cluster.timing.snapshotEveryTxns}`,
    `retain=${cluster.timing.retainLogTxns}`,
    `faults=${options.faultPhaseMs}ms/every~${options.faultIntervalMsMean}ms`,
    `weights=${weights}`,
  ].join(' ');
}
