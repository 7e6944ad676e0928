/**
 * `npm run bench`: TabKeeper's latencies in headless Chromium, printed as ratios against
 * baselines measured in the same run (a DataChannel round trip, an IndexedDB transaction).
 * Absolute timings vary with the machine and its load, so nothing here passes or fails on speed:
 * the ratios say how far TabKeeper is from the floor BROWSER-NOTES.md gives for a replicated
 * write (about one round trip plus one IndexedDB transaction).
 *
 * The app is built and served exactly as e2e does (e2e/global-setup.ts, e2e/processes.ts) and
 * Chromium is launched with e2e's flags (e2e/chromium.ts, through bench/browser.ts). Every
 * browser and child process is closed at the end, on failure, and on SIGINT/SIGTERM.
 */
import { availableParallelism, cpus } from 'node:os';
import type { BrowserContext } from '@playwright/test';
import { STATIC_DIRECTORY_VARIABLE } from '../e2e/fixtures.ts';
import buildApp from '../e2e/global-setup.ts';
import { startSignalingServer } from '../e2e/processes.ts';
import { launchBenchBrowser } from './browser.ts';
import { connectEchoChannel, measureIndexedDbWrites, measureRoundTrips, MESSAGE_BYTES, openPlainPages } from './baselines.ts';
import { summarize, type Summary } from './stats.ts';
import { CREATE_OP, GET_OP, measureOp, openEnsemble, SET_OP } from './tabkeeper.ts';

const BASELINE_COUNT = 500;
const TABKEEPER_COUNT = 300;
/** Untimed iterations first: JIT, IndexedDB's first file writes, the first sync. */
const WARMUP_COUNT = 20;

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

  const [offerer, answerer] = await openPlainPages(context, signaling.url);
  await connectEchoChannel(offerer, answerer);
  const roundTrip = summarize(`A  DataChannel round trip (${MESSAGE_BYTES} B)`, await measureRoundTrips(offerer, BASELINE_COUNT, WARMUP_COUNT));
  const transaction = summarize(`B  IndexedDB put + complete (strict)`, await measureIndexedDbWrites(offerer, BASELINE_COUNT, WARMUP_COUNT));
  await offerer.close();
  await answerer.close();

  const { leader, followers } = await openEnsemble(context, signaling.url);
  const follower = followers[0]!;
  await leader.runOk(CREATE_OP);
  const leaderWrite = summarize('leader write (set)', await measureOp(leader, SET_OP, TABKEEPER_COUNT, WARMUP_COUNT));
  const followerWrite = summarize('follower write (set)', await measureOp(follower, SET_OP, TABKEEPER_COUNT, WARMUP_COUNT));
  const syncedRead = summarize('follower synced read (get)', await measureOp(follower, GET_OP, TABKEEPER_COUNT, WARMUP_COUNT));

  const floorMs = roundTrip.p50Ms + transaction.p50Ms;
  printReport({
    header: `TabKeeper bench: ${chromiumVersion}, ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}`,
    summaries: [roundTrip, transaction, leaderWrite, followerWrite, syncedRead],
    ratios: [
      ['leader write p50 / (A p50 + B p50)', leaderWrite.p50Ms / floorMs],
      ['follower write p50 / (A p50 + B p50)', followerWrite.p50Ms / floorMs],
      ['synced read p50 / A p50', syncedRead.p50Ms / roundTrip.p50Ms],
    ],
  });
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

function printReport(report: { header: string; summaries: readonly Summary[]; ratios: readonly [string, number][] }): void {
  const lines = [
    '',
    report.header,
    `timed in the page with performance.now() (0.1 ms resolution); ${WARMUP_COUNT} warm-up iterations dropped per measurement`,
    '',
    `${'measurement'.padEnd(40)}${'n'.padStart(6)}${'p50 ms'.padStart(10)}${'p99 ms'.padStart(10)}`,
    ...report.summaries.map((summary) => `${summary.name.padEnd(40)}${String(summary.count).padStart(6)}${summary.p50Ms.toFixed(2).padStart(10)}${summary.p99Ms.toFixed(2).padStart(10)}`),
    '',
    `${'ratio (same run; 1.0 = the floor)'.padEnd(40)}${'x'.padStart(6)}`,
    ...report.ratios.map(([name, ratio]) => `${name.padEnd(40)}${ratio.toFixed(2).padStart(6)}`),
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
