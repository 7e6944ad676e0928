/**
 * `npm run bench`: TabKeeper's latencies in headless Chromium, printed as ratios against
 * baselines measured in the same run (a DataChannel round trip, an IndexedDB transaction).
 * Absolute timings vary with the machine and its load, so nothing here passes or fails on speed:
 * the ratios say how far TabKeeper is from the floor docs/BROWSER.md gives for a replicated
 * write (about one round trip plus one IndexedDB transaction).
 *
 * The app is built and served exactly as e2e does (e2e/global-setup.ts, e2e/processes.ts) and
 * Chromium is launched with e2e's flags (e2e/chromium.ts, through bench/browser.ts). Every
 * browser and child process is closed at the end, on failure, and on SIGINT/SIGTERM.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from '@playwright/test';
import { STATIC_DIRECTORY_VARIABLE } from '../e2e/fixtures.ts';
import buildApp from '../e2e/global-setup.ts';
import { REPOSITORY_ROOT, startSignalingServer } from '../e2e/processes.ts';
import { launchBenchBrowser } from './browser.ts';
import { connectEchoChannel, measureIndexedDbWrites, measureRoundTrips, MESSAGE_BYTES, openPlainPages } from './baselines.ts';
import { writeChart } from './chart.ts';
import { failoverGap, heapPerTab, refill, reloadToServing } from './resilience.ts';
import type { BenchResults, LatencyRow, ThroughputRow } from './results.ts';
import { summarize, type Summary } from './stats.ts';
import { BENCH_PATH, CREATE_OP, CREATE_PAIR, GET_OP, measurePipelined, measureSequence, openEnsemble, SET_OP } from './tabkeeper.ts';
import { pipelined, sequential, startEnsemble, syncedReads, ZkClient, ZOOKEEPER_MISSING, zookeeperInstalled } from './zookeeper.ts';

const BASELINE_COUNT = 500;
const TABKEEPER_COUNT = 300;
const PAIR_COUNT = 200;
/** Untimed iterations first: JIT, IndexedDB's first file writes, the first sync. */
const WARMUP_COUNT = 20;
const PIPELINED_TOTAL = 3000;
const OUTSTANDING = 64;
const RECOVERY_TXNS = [1_000, 10_000, 100_000];
const SIM_SEEDS = 300;
/** Marks the rows measured on tabs with no views mounted (`?views=0`). */
const NO_VIEWS = ', no views';

/** Cleanups run newest first, once, whether the run ends, fails or is interrupted. */
const cleanups: (() => Promise<void> | void)[] = [];
let cleaning: Promise<void> | null = null;
/** Set by SIGINT/SIGTERM: the measurement that then fails only saw its browser close. */
let interrupted = false;

function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    for (const cleanup of cleanups.reverse()) {
      await Promise.resolve()
        .then(cleanup)
        .catch((error: unknown) => process.stderr.write(`bench: cleanup failed: ${String(error)}\n`));
    }
  })();
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    process.stderr.write(`bench: ${signal}, closing the browser and the signaling server\n`);
    void cleanUp().finally(() => process.exit(130));
  });
}

async function main(): Promise<void> {
  const removeBuild = buildApp();
  if (removeBuild !== undefined) cleanups.push(removeBuild);
  const staticDirectory = process.env[STATIC_DIRECTORY_VARIABLE]!;
  const signaling = await startSignalingServer(staticDirectory);
  cleanups.push(() => signaling.stop());
  const browser = await launchBenchBrowser();
  cleanups.push(() => browser.close());
  const context = browser.context;
  // tsx compiles with esbuild's keepNames, which wraps named functions in `__name(…)` calls; a
  // function passed to page.evaluate is sent as source, so the page needs a `__name` of its own.
  await context.addInitScript({ content: 'globalThis.__name ??= (target) => target;' });
  const chromiumVersion = await readChromiumVersion(context);
  const loadAtStart = loadavg();
  const progress = (line: string) => process.stderr.write(`bench: ${line}\n`);

  progress('baselines');
  const [offerer, answerer] = await openPlainPages(context, signaling.url);
  await connectEchoChannel(offerer, answerer);
  const roundTrip = summarize(`DataChannel round trip (${MESSAGE_BYTES} B)`, await measureRoundTrips(offerer, BASELINE_COUNT, WARMUP_COUNT));
  const transaction = summarize('IndexedDB put + complete (strict)', await measureIndexedDbWrites(offerer, BASELINE_COUNT, WARMUP_COUNT));
  const third = (await openPlainPages(context, signaling.url))[0];
  const concurrent = await Promise.all([offerer, answerer, third].map((page) => measureIndexedDbWrites(page, BASELINE_COUNT, WARMUP_COUNT)));
  const threeWriters = summarize('IndexedDB strict, three pages writing at once', concurrent.flat());
  for (const page of context.pages()) if (page.url().endsWith('/health')) await page.close();
  const boundMs = roundTrip.p50Ms + transaction.p50Ms;

  progress('three seats: sequential latency');
  const three = await openEnsemble(context, signaling.url, 3);
  const follower = three.followers[0]!;
  await three.leader.runOk(CREATE_OP);
  const tk = {
    leaderSet: summarize('setData from the leader', await measureSequence(three.leader, [SET_OP], TABKEEPER_COUNT, WARMUP_COUNT)),
    followerSet: summarize('setData from a follower', await measureSequence(follower, [SET_OP], TABKEEPER_COUNT, WARMUP_COUNT)),
    leaderPair: summarize('create+delete from the leader', await measureSequence(three.leader, CREATE_PAIR, PAIR_COUNT, WARMUP_COUNT)),
    followerPair: summarize('create+delete from a follower', await measureSequence(follower, CREATE_PAIR, PAIR_COUNT, WARMUP_COUNT)),
    syncedRead: summarize('synced read (sync+get) from a follower', await measureSequence(follower, [GET_OP], TABKEEPER_COUNT, WARMUP_COUNT)),
  };
  progress('three seats: pipelined');
  const tkPipe3Follower = await measurePipelined(follower, SET_OP, PIPELINED_TOTAL, OUTSTANDING);
  const tkPipe3Leader = await measurePipelined(three.leader, SET_OP, PIPELINED_TOTAL, OUTSTANDING);
  const heap = await heapPerTab(three.tabs);

  progress('three seats: recovery of a reloaded tab');
  const recovery: BenchResults['recovery'] = [];
  let written = WARMUP_COUNT * 3 + TABKEEPER_COUNT * 3 + PIPELINED_TOTAL * 2;
  for (const target of RECOVERY_TXNS) {
    const reload = await reloadToServing(three.tabs, written, target);
    written = reload.written;
    recovery.push({ txns: target, reloadToServingMs: reload.ms });
    progress(`  ${target} txns: serving again ${reload.ms} ms after the reload`);
  }
  const heapAfter = await heapPerTab(three.tabs);

  progress('three seats: failover');
  const failover = await attempt('failover', async () => {
    const closed = await failoverGap(three.tabs, (leader) => leader.close());
    progress(`  clean close: ${closed.gapMs.toFixed(0)} ms`);
    const refilled = await refill(context, closed.survivors[0]!, closed.survivors);
    const crashed = await failoverGap(refilled, (leader) => leader.crash());
    progress(`  renderer killed: ${crashed.gapMs.toFixed(0)} ms`);
    for (const tab of crashed.survivors) await tab.close();
    return [
      { name: 'leader tab closed (clean close)', gapMs: closed.gapMs },
      { name: 'leader renderer killed (no close)', gapMs: crashed.gapMs },
    ];
  });
  for (const page of context.pages()) if (page.url().includes('cluster=')) await page.close().catch(() => undefined);

  progress('five seats: pipelined');
  const five = await openEnsemble(context, signaling.url, 5);
  await five.leader.runOk(CREATE_OP);
  await measureSequence(five.followers[0]!, [SET_OP], WARMUP_COUNT, 0);
  const tkPipe5Follower = await measurePipelined(five.followers[0]!, SET_OP, PIPELINED_TOTAL, OUTSTANDING);
  const tkPipe5Leader = await measurePipelined(five.leader, SET_OP, PIPELINED_TOTAL, OUTSTANDING);
  for (const tab of five.tabs) await tab.close();

  // The same cluster with no views mounted (`?views=0`): the protocol alone, as an application
  // embedding TabKeeper without its demo page would run it. The rows above are the page people see.
  progress('three seats, views not mounted: latency and pipelined');
  const bare = await openEnsemble(context, signaling.url, 3, { views: '0' });
  const bareFollower = bare.followers[0]!;
  await bare.leader.runOk(CREATE_OP);
  const noViews = {
    leaderSet: summarize(`setData from the leader${NO_VIEWS}`, await measureSequence(bare.leader, [SET_OP], TABKEEPER_COUNT, WARMUP_COUNT)),
    followerSet: summarize(`setData from a follower${NO_VIEWS}`, await measureSequence(bareFollower, [SET_OP], TABKEEPER_COUNT, WARMUP_COUNT)),
    syncedRead: summarize(`synced read from a follower${NO_VIEWS}`, await measureSequence(bareFollower, [GET_OP], TABKEEPER_COUNT, WARMUP_COUNT)),
    pipeFollower: await measurePipelined(bareFollower, SET_OP, PIPELINED_TOTAL, OUTSTANDING),
    pipeLeader: await measurePipelined(bare.leader, SET_OP, PIPELINED_TOTAL, OUTSTANDING),
  };
  for (const tab of bare.tabs) await tab.close();

  let zk: ZooKeeperResults | null = null;
  if (zookeeperInstalled()) {
    progress('ZooKeeper: three servers on loopback');
    zk = await attempt('ZooKeeper', measureZooKeeper);
  } else {
    process.stderr.write(`bench: ${ZOOKEEPER_MISSING}; its rows are skipped\n`);
  }

  progress(`simulator: ${SIM_SEEDS} seeds`);
  const simulator = await attempt('simulator', async () => measureSimulator());

  const latency: LatencyRow[] = [
    latencyRow(tk.leaderSet, zk?.leaderSet ?? null, boundMs),
    latencyRow(tk.followerSet, zk?.followerSet ?? null, boundMs),
    latencyRow(tk.leaderPair, zk?.leaderPair ?? null, 2 * boundMs),
    latencyRow(tk.followerPair, zk?.followerPair ?? null, 2 * boundMs),
    latencyRow(tk.syncedRead, zk?.syncedRead ?? null, roundTrip.p50Ms),
    latencyRow(noViews.leaderSet, zk?.leaderSet ?? null, boundMs),
    latencyRow(noViews.followerSet, zk?.followerSet ?? null, boundMs),
    latencyRow(noViews.syncedRead, zk?.syncedRead ?? null, roundTrip.p50Ms),
  ];
  const throughput: ThroughputRow[] = [
    throughputRow(`3 seats, ${OUTSTANDING} outstanding, from a follower`, tkPipe3Follower, zk?.pipeFollower ?? null),
    throughputRow(`3 seats, ${OUTSTANDING} outstanding, from the leader`, tkPipe3Leader, zk?.pipeLeader ?? null),
    throughputRow(`5 seats, ${OUTSTANDING} outstanding, from a follower`, tkPipe5Follower, null),
    throughputRow(`5 seats, ${OUTSTANDING} outstanding, from the leader`, tkPipe5Leader, null),
    throughputRow(`3 seats, ${OUTSTANDING} outstanding, from a follower${NO_VIEWS}`, noViews.pipeFollower, zk?.pipeFollower ?? null),
    throughputRow(`3 seats, ${OUTSTANDING} outstanding, from the leader${NO_VIEWS}`, noViews.pipeLeader, zk?.pipeLeader ?? null),
  ];
  const results: BenchResults = {
    date: new Date().toISOString(),
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown CPU',
      cores: availableParallelism(),
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      os: `Linux ${release()}`,
      node: process.version,
      chromium: chromiumVersion,
      zookeeper: zk?.version ?? null,
      loadAverageAtStart: loadAtStart.map((load) => Number(load.toFixed(2))),
      note: process.env.BENCH_NOTE ?? null,
    },
    baselines: { roundTrip, indexedDb: transaction, boundMs, indexedDbThreeWriters: threeWriters },
    latency,
    throughput,
    failover: failover ?? [],
    recovery,
    memory: { heapBytesPerTab: heap, heapBytesPerTabAfterRecovery: heapAfter },
    simulator,
  };
  const directory = join(REPOSITORY_ROOT, 'bench', 'results');
  mkdirSync(directory, { recursive: true });
  const file = join(directory, `bench-${results.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(directory, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeChart(results, join(directory, 'chart.svg'));
  printReport(results);
  process.stdout.write(`\nwrote ${file}, bench/results/latest.json and bench/results/chart.svg\n`);
}

interface ZooKeeperResults {
  readonly version: string;
  readonly leaderSet: Summary;
  readonly followerSet: Summary;
  readonly leaderPair: Summary;
  readonly followerPair: Summary;
  readonly syncedRead: Summary;
  readonly pipeFollower: { opsPerSecond: number; latencies: number[] };
  readonly pipeLeader: { opsPerSecond: number; latencies: number[] };
}

/** The same workloads against ZooKeeper: one client on the leader, one on a follower. */
async function measureZooKeeper(): Promise<ZooKeeperResults> {
  const ensemble = await startEnsemble();
  cleanups.push(() => ensemble.stop());
  const onLeader = await ZkClient.connect(ensemble.clientPorts[ensemble.leader]!);
  const onFollower = await ZkClient.connect(ensemble.clientPorts[ensemble.follower]!);
  try {
    await onLeader.create(BENCH_PATH, 'x');
    const set = (client: ZkClient) => () => client.setData(BENCH_PATH, 'x');
    const pair = (client: ZkClient, prefix: string) => async (index: number) => {
      await client.create(`/pair-${prefix}${index}`, 'x');
      await client.remove(`/pair-${prefix}${index}`);
    };
    return {
      version: ensemble.version,
      leaderSet: summarize('setData from the leader', await sequential(TABKEEPER_COUNT, WARMUP_COUNT, set(onLeader))),
      followerSet: summarize('setData from a follower', await sequential(TABKEEPER_COUNT, WARMUP_COUNT, set(onFollower))),
      leaderPair: summarize('create+delete from the leader', await sequential(PAIR_COUNT, WARMUP_COUNT, pair(onLeader, 'l'))),
      followerPair: summarize('create+delete from a follower', await sequential(PAIR_COUNT, WARMUP_COUNT, pair(onFollower, 'f'))),
      syncedRead: summarize('synced read (sync+get) from a follower', syncedReads(ensemble.clientPorts[ensemble.follower]!, BENCH_PATH, TABKEEPER_COUNT, WARMUP_COUNT)),
      pipeFollower: await pipelined(PIPELINED_TOTAL, OUTSTANDING, set(onFollower)),
      pipeLeader: await pipelined(PIPELINED_TOTAL, OUTSTANDING, set(onLeader)),
    };
  } finally {
    onLeader.close();
    onFollower.close();
  }
}

/** The simulator's speed: `npm run sim` on the tree workload, in a child process. */
function measureSimulator(): BenchResults['simulator'] {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/sim.ts', '--seeds', String(SIM_SEEDS), '--workload', 'tree'], { cwd: REPOSITORY_ROOT, encoding: 'utf8' });
  const match = /(\d+) passed, (\d+) failed in [\d.]+ s \(([\d.]+) seeds\/s\)/.exec(run.stdout);
  if (run.status !== 0 || match === null) throw new Error(`the simulator run failed:\n${run.stdout}\n${run.stderr}`);
  return { workload: 'tree', seeds: SIM_SEEDS, failed: Number(match[2]), seedsPerSecond: Number(match[3]), workers: Math.max(1, availableParallelism()) };
}

/** Runs one section; a failure is reported and leaves its figures out instead of losing the run. */
async function attempt<T>(what: string, section: () => Promise<T>): Promise<T | null> {
  try {
    return await section();
  } catch (error) {
    process.stderr.write(`bench: ${what} failed, its figures are left out: ${error instanceof Error ? error.message : String(error)}\n`);
    return null;
  }
}

function latencyRow(tabkeeper: Summary, zookeeper: Summary | null, boundMs: number): LatencyRow {
  return { name: tabkeeper.name, tabkeeper, zookeeper, boundMs, ratioToBound: tabkeeper.p50Ms / boundMs, p99RatioToZooKeeper: zookeeper === null ? null : tabkeeper.p99Ms / zookeeper.p99Ms };
}

function throughputRow(name: string, tabkeeper: { opsPerSecond: number; latencies: number[] }, zookeeper: { opsPerSecond: number; latencies: number[] } | null): ThroughputRow {
  return {
    name,
    tabkeeper: { opsPerSecond: tabkeeper.opsPerSecond, latency: summarize(name, tabkeeper.latencies) },
    zookeeper: zookeeper === null ? null : { opsPerSecond: zookeeper.opsPerSecond, latency: summarize(name, zookeeper.latencies) },
  };
}

/** The browser's product and version (a persistent context has no Browser object to ask). */
async function readChromiumVersion(context: BrowserContext): Promise<string> {
  const page = context.pages()[0] ?? (await context.newPage());
  const session = await context.newCDPSession(page);
  try {
    const version = (await session.send('Browser.getVersion')) as { product: string };
    return version.product;
  } finally {
    await session.detach();
  }
}

function printReport(results: BenchResults): void {
  const m = results.machine;
  const ms = (value: number) => value.toFixed(2).padStart(8);
  const x = (value: number | null) => (value === null ? '-' : `${value.toFixed(2)}x`).padStart(8);
  const zkCell = (summary: Summary | null) => (summary === null ? `${'-'.padStart(8)}${'-'.padStart(8)}` : `${ms(summary.p50Ms)}${ms(summary.p99Ms)}`);
  const b = results.baselines;
  const lines = [
    '',
    `TabKeeper bench, ${results.date}: ${m.chromium}, ZooKeeper ${m.zookeeper ?? 'not installed'}, ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}`,
    `load average at start ${m.loadAverageAtStart.join(' / ')}${m.note === null ? '' : `; ${m.note}`}`,
    'timed in the page (TabKeeper, baselines) or the client process (ZooKeeper) with performance.now(); warm-up iterations dropped',
    '',
    `${'baseline'.padEnd(52)}${'p50 ms'.padStart(8)}${'p99 ms'.padStart(8)}`,
    `${b.roundTrip.name.padEnd(52)}${ms(b.roundTrip.p50Ms)}${ms(b.roundTrip.p99Ms)}`,
    `${b.indexedDb.name.padEnd(52)}${ms(b.indexedDb.p50Ms)}${ms(b.indexedDb.p99Ms)}`,
    `${'bound of one replicated write (A p50 + B p50)'.padEnd(52)}${ms(b.boundMs)}`,
    ...(b.indexedDbThreeWriters === undefined ? [] : [`${b.indexedDbThreeWriters.name.padEnd(52)}${ms(b.indexedDbThreeWriters.p50Ms)}${ms(b.indexedDbThreeWriters.p99Ms)}`]),
    '',
    `${'latency (3 seats)'.padEnd(52)}${'TK p50'.padStart(8)}${'TK p99'.padStart(8)}${'ZK p50'.padStart(8)}${'ZK p99'.padStart(8)}${'/bound'.padStart(8)}${'p99/ZK'.padStart(8)}`,
    ...results.latency.map((row) => `${row.name.padEnd(52)}${ms(row.tabkeeper.p50Ms)}${ms(row.tabkeeper.p99Ms)}${zkCell(row.zookeeper)}${x(row.ratioToBound)}${x(row.p99RatioToZooKeeper)}`),
    '  (/bound: p50 over one bound for a set, two for a create+delete pair, one round trip for a synced read)',
    '',
    `${'pipelined setData'.padEnd(52)}${'TK op/s'.padStart(8)}${'TK p99'.padStart(8)}${'ZK op/s'.padStart(8)}${'ZK p99'.padStart(8)}${'TK/ZK'.padStart(8)}`,
    ...results.throughput.map(
      (row) =>
        `${row.name.padEnd(52)}${row.tabkeeper.opsPerSecond.toFixed(0).padStart(8)}${ms(row.tabkeeper.latency.p99Ms)}${(row.zookeeper?.opsPerSecond.toFixed(0) ?? '-').padStart(8)}${row.zookeeper === null ? '-'.padStart(8) : ms(row.zookeeper.latency.p99Ms)}${x(row.zookeeper === null ? null : row.tabkeeper.opsPerSecond / row.zookeeper.opsPerSecond)}`,
    ),
    '',
    ...results.failover.map((row) => `${`failover: ${row.name}`.padEnd(52)}${`${row.gapMs.toFixed(0)} ms longest gap between writes`}`),
    ...results.recovery.map((row) => `${`recovery: reload with ${row.txns} txns committed`.padEnd(52)}${`${row.reloadToServingMs} ms until serving`}`),
    `${'memory: JS heap per tab (3 seats)'.padEnd(52)}${results.memory.heapBytesPerTab.map((bytes) => `${(bytes / 2 ** 20).toFixed(1)} MiB`).join(', ')}`,
    `${'memory: JS heap per tab after 100k txns'.padEnd(52)}${results.memory.heapBytesPerTabAfterRecovery.map((bytes) => `${(bytes / 2 ** 20).toFixed(1)} MiB`).join(', ')}`,
    `${'simulator (tree workload)'.padEnd(52)}${results.simulator === null ? 'failed' : `${results.simulator.seedsPerSecond.toFixed(1)} seeds/s (${results.simulator.seeds} seeds, ${results.simulator.workers} workers, ${results.simulator.failed} failed)`}`,
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

try {
  await main();
} catch (error) {
  if (!interrupted) process.stderr.write(`bench: failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await cleanUp();
}
