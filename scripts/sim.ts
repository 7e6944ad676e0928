/**
 * `npm run sim`: runs simulator seeds (core/sim/run-seed.ts) on every core and reports.
 *
 *   npm run sim -- --seeds 2000 --servers 3 [--observers 1] [--start 1]
 *   npm run sim -- --seed 1234 --servers 3        replay one seed with a readable trace
 *   npm run sim -- --seeds 2000 --servers 3 --load sustained [--values big]
 *       writers never pause while servers crash, restart and rejoin (each must serve again
 *       within a bound); `--values big` makes some writes carry values up to 1 MiB
 *   npm run sim -- --seed 1234 --trace out.json   also write the run as a trace the app replays
 *
 * Seeds are independent and deterministic, so they are spread over worker threads; a failing
 * seed prints the exact command that replays it, and its trace is written to sim-failures/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { runSeed, type SeedResult } from '../core/sim/run-seed.ts';

interface WorkerJob {
  readonly seeds: number[];
  readonly voters: number;
  readonly observers: number;
  readonly junk: boolean;
  readonly workload: Workload;
  readonly load: 'bursty' | 'sustained';
  readonly bigValues: boolean;
}

type Workload = 'kv' | 'tree';

/** `--junk`: feed the servers bad input between real traffic (see core/sim/junk.ts). */
const JUNK = { perSecond: 300, oversized: false };

/** What a worker reports per seed: small, so thousands of seeds cost little to pass back. */
interface SeedReport {
  readonly seed: number;
  readonly ok: boolean;
  readonly failure: string | null;
  readonly summary: string;
  readonly linearizability: SeedResult['linearizability'];
  readonly committed: number;
  readonly operations: number;
  readonly marks: [string, number][];
  readonly failoverMs: number | null;
  readonly failoverBoundMs: number;
  readonly rejoin: SeedResult['rejoin'];
}

function report(result: SeedResult): SeedReport {
  return {
    seed: result.seed,
    ok: result.ok,
    failure: result.failure,
    summary: result.summary,
    linearizability: result.linearizability,
    committed: result.committed,
    operations: result.operations,
    marks: [...result.marks],
    failoverMs: result.failoverMs,
    failoverBoundMs: result.failoverBoundMs,
    rejoin: result.rejoin,
  };
}

async function workerMain(job: WorkerJob): Promise<void> {
  for (const seed of job.seeds) {
    const result = await runSeed({ seed, voters: job.voters, observers: job.observers, trace: false, junk: job.junk ? JUNK : undefined, workload: job.workload, load: job.load, bigValues: job.bigValues });
    parentPort!.postMessage(report(result));
  }
}

/** The load options of a run: `--load` and `--values`. */
interface LoadMode {
  readonly load: 'bursty' | 'sustained';
  readonly bigValues: boolean;
}

function replayCommand(seed: number, voters: number, observers: number, junk: boolean, workload: Workload, mode: LoadMode): string {
  const flags = `${mode.load === 'sustained' ? ' --load sustained' : ''}${mode.bigValues ? ' --values big' : ''}`;
  return `npm run sim -- --seed ${seed} --servers ${voters}${observers > 0 ? ` --observers ${observers}` : ''}${junk ? ' --junk' : ''}${workload === 'tree' ? ' --workload tree' : ''}${flags}`;
}

async function replay(seed: number, voters: number, observers: number, junk: boolean, workload: Workload, mode: LoadMode, traceFile: string | undefined): Promise<number> {
  const result = await runSeed({ seed, voters, observers, trace: true, junk: junk ? JUNK : undefined, workload, ...mode }, { record: traceFile !== undefined });
  console.log(result.trace.join('\n'));
  console.log('');
  console.log(result.summary);
  console.log(`committed ${result.committed} txns, ${result.operations} client operations, ${result.epochs} epochs, linearizability ${result.linearizability}`);
  if (traceFile !== undefined && result.recording !== null) {
    writeFileSync(traceFile, JSON.stringify(result.recording));
    console.log(`trace: ${traceFile} (${result.recording.events.length} events${result.recording.truncated ? ', cut short' : ''}); load it in the app (Replay a trace…, or /?replay)`);
  }
  if (result.ok) {
    console.log(`seed ${seed}: ok`);
    return 0;
  }
  console.log(`seed ${seed}: FAILED\n${result.failure}`);
  return 1;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seeds: { type: 'string', default: '200' },
      seed: { type: 'string' },
      start: { type: 'string', default: '1' },
      servers: { type: 'string', default: '3' },
      observers: { type: 'string', default: '0' },
      workers: { type: 'string' },
      junk: { type: 'boolean', default: false },
      workload: { type: 'string', default: 'kv' },
      load: { type: 'string', default: 'bursty' },
      values: { type: 'string', default: 'small' },
      trace: { type: 'string' },
    },
  });
  const voters = Number(values.servers);
  const observers = Number(values.observers);
  if (!Number.isInteger(voters) || voters < 1 || !Number.isInteger(observers) || observers < 0) {
    console.error('--servers must be an integer >= 1 and --observers an integer >= 0');
    return 2;
  }
  const junk = values.junk === true;
  const workload = values.workload;
  if (workload !== 'kv' && workload !== 'tree') {
    console.error('--workload must be kv or tree');
    return 2;
  }
  if (values.load !== 'bursty' && values.load !== 'sustained') {
    console.error('--load must be bursty or sustained');
    return 2;
  }
  if (values.values !== 'small' && values.values !== 'big') {
    console.error('--values must be small or big');
    return 2;
  }
  const mode: LoadMode = { load: values.load, bigValues: values.values === 'big' };
  if (values.trace !== undefined && values.seed === undefined) {
    console.error('--trace needs --seed N (one run is traced)');
    return 2;
  }
  if (values.seed !== undefined) return replay(Number(values.seed), voters, observers, junk, workload, mode, values.trace);

  const count = Number(values.seeds);
  const start = Number(values.start);
  const workerCount = Math.max(1, Math.min(Number(values.workers ?? availableParallelism()), count));
  const seeds = Array.from({ length: count }, (_, index) => start + index);
  console.log(`running ${count} seeds (${start}..${start + count - 1}), ${voters} voters, ${observers} observers, ${workerCount} workers, ${workload} workload, ${mode.load} load, ${mode.bigValues ? 'big' : 'small'} values${junk ? ', with junk input' : ''}`);
  const began = performance.now();
  const reports: SeedReport[] = [];
  await Promise.all(
    Array.from({ length: workerCount }, (_, index) => {
      const job: WorkerJob = { seeds: seeds.filter((_, position) => position % workerCount === index), voters, observers, junk, workload, ...mode };
      // Workers do not inherit `--import tsx` on Node 20: register tsx inside the worker first.
      const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(import.meta.url)}); })`;
      const worker = new Worker(bootstrap, { eval: true, workerData: job });
      worker.on('message', (seedReport: SeedReport) => {
        reports.push(seedReport);
        if (!seedReport.ok) console.log(`seed ${seedReport.seed}: FAILED — replay with: ${replayCommand(seedReport.seed, voters, observers, junk, workload, mode)}\n${seedReport.failure}\n`);
      });
      return new Promise<void>((resolve, reject) => {
        worker.on('error', reject);
        worker.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker exited with ${code}`))));
      });
    }),
  );
  const seconds = (performance.now() - began) / 1000;
  const failures = reports.filter((seedReport) => !seedReport.ok);
  const marks = new Map<string, number>();
  for (const seedReport of reports) for (const [name, hits] of seedReport.marks) marks.set(name, (marks.get(name) ?? 0) + hits);
  const unknown = reports.filter((seedReport) => seedReport.linearizability === 'Unknown').length;
  console.log(`coverage marks: ${[...marks].sort().map(([name, hits]) => `${name}=${hits}`).join(', ')}`);
  console.log(`committed ${reports.reduce((sum, r) => sum + r.committed, 0)} txns, ${reports.reduce((sum, r) => sum + r.operations, 0)} client operations; linearizability unknown (search bound) in ${unknown} seeds`);
  const failovers = reports.flatMap((seedReport) => (seedReport.failoverMs === null ? [] : [seedReport.failoverMs])).sort((a, b) => a - b);
  if (failovers.length > 0) {
    const at = (quantile: number) => failovers[Math.min(failovers.length - 1, Math.floor(quantile * failovers.length))]!.toFixed(0);
    const worst = Math.max(...reports.map((r) => (r.failoverMs ?? 0) / Math.max(1, r.failoverBoundMs)));
    console.log(`leader crash to next established leader: median ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms; at most ${(worst * 100).toFixed(0)}% of each seed's bound`);
  }
  if (mode.load === 'sustained') {
    const rejoins = reports.reduce((sum, r) => sum + r.rejoin.count, 0);
    const slowest = Math.max(0, ...reports.map((r) => r.rejoin.slowestMs));
    console.log(`sustained load: ${rejoins} restarted servers served again, the slowest ${slowest.toFixed(0)} ms after its restart`);
  }
  console.log(`${reports.length - failures.length} passed, ${failures.length} failed in ${seconds.toFixed(1)} s (${(reports.length / seconds).toFixed(1)} seeds/s)`);
  if (failures.length > 0) {
    mkdirSync('sim-failures', { recursive: true });
    for (const seedReport of failures) {
      const result = await runSeed({ seed: seedReport.seed, voters, observers, trace: true, junk: junk ? JUNK : undefined, workload, ...mode });
      const file = `sim-failures/seed-${seedReport.seed}-${voters}v${observers}o.log`;
      writeFileSync(file, `${result.trace.join('\n')}\n\n${result.summary}\n${result.failure}\n`);
      console.log(`trace of seed ${seedReport.seed}: ${file}`);
    }
    console.log(`replay: ${replayCommand(failures[0]!.seed, voters, observers, junk, workload, mode)}`);
  }
  return failures.length === 0 ? 0 : 1;
}

if (isMainThread) {
  process.exitCode = await main();
} else {
  await workerMain(workerData as WorkerJob);
}
