/**
 * `npm run bench:views`: what the page's views cost the write path. Opens a three-tab cluster
 * twice, once with the views (the page as people see it) and once with `?views=0` (the same
 * tab, nothing mounted: the protocol alone), and times sequential and pipelined setData from a
 * follower and from the leader in each. The views must sample and aggregate off the write path,
 * so the two columns should be close. `--profile` also records the leader's CPU profile with
 * views under bench/results/ (open it in Chrome DevTools' Performance panel).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CDPSession, Page } from '@playwright/test';
import { openTabs, waitForEnsemble } from '../e2e/cluster.ts';
import { REPOSITORY_ROOT, startSignalingServer } from '../e2e/processes.ts';
import { launchBenchBrowser } from './browser.ts';
import { percentile } from './stats.ts';
import { CREATE_OP, measurePipelined, measureSequence, SET_OP } from './tabkeeper.ts';

const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL ?? 300);
const PIPELINED = Number(process.env.BENCH_PIPELINED ?? 3000);
const OUTSTANDING = 64;
const profiling = process.argv.includes('--profile');

interface Row {
  readonly views: string;
  readonly from: string;
  readonly median: number;
  readonly p90: number;
  readonly opsPerSecond: number;
}

function build(): { directory: string; cleanup: () => void } {
  const directory = mkdtempSync(join(tmpdir(), 'tabkeeper-views-app-'));
  const vite = join(REPOSITORY_ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  const args = [vite, 'build', '--outDir', directory, '--emptyOutDir', '--logLevel', 'warn', ...(profiling ? ['--minify', 'false'] : [])];
  const run = spawnSync(process.execPath, args, { cwd: REPOSITORY_ROOT, stdio: 'inherit' });
  if (run.status !== 0) throw new Error(`vite build failed (exit ${run.status ?? run.signal})`);
  return { directory, cleanup: () => rmSync(directory, { recursive: true, force: true }) };
}

async function startProfiler(page: Page): Promise<CDPSession> {
  const session = await page.context().newCDPSession(page);
  await session.send('Profiler.enable');
  await session.send('Profiler.setSamplingInterval', { interval: 200 });
  await session.send('Profiler.start');
  return session;
}

const cleanups: (() => Promise<void> | void)[] = [];
try {
  const app = build();
  cleanups.push(app.cleanup);
  const signaling = await startSignalingServer(app.directory);
  cleanups.push(() => signaling.stop());
  const rows: Row[] = [];
  for (const views of ['1', '0']) {
    const browser = await launchBenchBrowser();
    try {
      // tsx names functions with a helper the page does not have (as bench/profile.ts does).
      await browser.context.addInitScript({ content: 'globalThis.__name ??= (target) => target;' });
      const cluster = `views-${views}-${randomBytes(4).toString('hex')}`;
      const tabs = await openTabs(browser.context, { serverUrl: signaling.url, cluster, size: 3, query: { views } }, 3);
      for (const tab of tabs) await tab.page.setViewportSize({ width: 1280, height: 900 });
      const { leader, followers } = await waitForEnsemble(tabs);
      await leader.runOk(CREATE_OP);
      const session = profiling && views === '1' ? await startProfiler(leader.page) : null;
      for (const [from, tab] of [['follower', followers[0]!], ['leader', leader]] as const) {
        const sequential = await measureSequence(tab, [SET_OP], SEQUENTIAL, 20);
        const pipelined = await measurePipelined(tab, SET_OP, PIPELINED, OUTSTANDING);
        rows.push({ views: views === '1' ? 'with views' : 'no views', from, median: percentile(sequential, 0.5), p90: percentile(sequential, 0.9), opsPerSecond: pipelined.opsPerSecond });
      }
      if (session !== null) {
        const { profile } = (await session.send('Profiler.stop')) as { profile: unknown };
        const directory = join(REPOSITORY_ROOT, 'bench', 'results');
        mkdirSync(directory, { recursive: true });
        writeFileSync(join(directory, 'profile-leader-views.cpuprofile'), JSON.stringify(profile));
      }
    } finally {
      await browser.close();
    }
  }
  process.stdout.write(`\nsetData on a 3-tab cluster (${SEQUENTIAL} sequential, ${PIPELINED} pipelined x${OUTSTANDING}):\n`);
  process.stdout.write(`${'page'.padEnd(12)} ${'from'.padEnd(9)} ${'median ms'.padStart(10)} ${'p90 ms'.padStart(8)} ${'pipelined/s'.padStart(12)}\n`);
  for (const row of rows) {
    process.stdout.write(`${row.views.padEnd(12)} ${row.from.padEnd(9)} ${row.median.toFixed(2).padStart(10)} ${row.p90.toFixed(2).padStart(8)} ${row.opsPerSecond.toFixed(0).padStart(12)}\n`);
  }
} finally {
  for (const cleanup of cleanups.reverse()) await Promise.resolve().then(cleanup).catch(() => undefined);
}
