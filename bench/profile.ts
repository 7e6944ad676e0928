/**
 * `npm run bench:profile`: where a replicated write spends its time. Opens a three-tab cluster
 * as `npm run bench` does, records Chromium's CPU profiler (CDP `Profiler`) in the leader's and
 * a follower's tab while the follower runs sequential and then pipelined setData, prints the
 * functions with the most self time in each tab, and writes the `.cpuprofile` files (open them
 * in Chrome DevTools' Performance panel) under bench/results/.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CDPSession, Page } from '@playwright/test';
import { STATIC_DIRECTORY_VARIABLE } from '../e2e/fixtures.ts';
import { REPOSITORY_ROOT, startSignalingServer } from '../e2e/processes.ts';
import { launchBenchBrowser } from './browser.ts';
import { CREATE_OP, measurePipelined, measureSequence, openEnsemble, SET_OP } from './tabkeeper.ts';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}
interface Profile {
  readonly nodes: ProfileNode[];
  readonly samples: number[];
  readonly timeDeltas: number[];
}

async function startProfiler(page: Page): Promise<CDPSession> {
  const session = await page.context().newCDPSession(page);
  await session.send('Profiler.enable');
  await session.send('Profiler.setSamplingInterval', { interval: 100 });
  await session.send('Profiler.start');
  return session;
}

function topSelfTime(profile: Profile, count: number): string[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, index) => {
    const node = byId.get(id)!;
    const delta = profile.timeDeltas[index] ?? 0;
    total += delta;
    const file = node.callFrame.url.split('/').pop() ?? '';
    const name = `${node.callFrame.functionName || '(anonymous)'} ${file}:${node.callFrame.lineNumber + 1}`;
    self.set(name, (self.get(name) ?? 0) + delta);
  });
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, micros]) => `${((100 * micros) / total).toFixed(1).padStart(5)}%  ${(micros / 1000).toFixed(0).padStart(6)} ms  ${name}`);
}

/** An unminified build, so the profile names functions as the source does. */
function buildReadable(): () => void {
  const outDirectory = mkdtempSync(join(tmpdir(), 'tabkeeper-profile-app-'));
  const vite = join(REPOSITORY_ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  const build = spawnSync(process.execPath, [vite, 'build', '--outDir', outDirectory, '--emptyOutDir', '--minify', 'false', '--logLevel', 'warn'], { cwd: REPOSITORY_ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error(`vite build failed (exit ${build.status ?? build.signal})`);
  process.env[STATIC_DIRECTORY_VARIABLE] = outDirectory;
  return () => rmSync(outDirectory, { recursive: true, force: true });
}

const cleanups: (() => Promise<void> | void)[] = [];
try {
  cleanups.push(buildReadable());
  const signaling = await startSignalingServer(process.env[STATIC_DIRECTORY_VARIABLE]!);
  cleanups.push(() => signaling.stop());
  const browser = await launchBenchBrowser();
  cleanups.push(() => browser.close());
  await browser.context.addInitScript({ content: 'globalThis.__name ??= (target) => target;' });
  const { leader, followers } = await openEnsemble(browser.context, signaling.url, 3);
  const follower = followers[0]!;
  await leader.runOk(CREATE_OP);
  await measureSequence(follower, [SET_OP], 100, 0);
  const sessions = [await startProfiler(leader.page), await startProfiler(follower.page)];
  await measureSequence(follower, [SET_OP], 500, 0);
  await measurePipelined(follower, SET_OP, 5000, 64);
  const directory = join(REPOSITORY_ROOT, 'bench', 'results');
  mkdirSync(directory, { recursive: true });
  for (const [index, session] of sessions.entries()) {
    const { profile } = (await session.send('Profiler.stop')) as { profile: Profile };
    const name = index === 0 ? 'leader' : 'follower';
    writeFileSync(join(directory, `profile-${name}.cpuprofile`), JSON.stringify(profile));
    process.stdout.write(`\n${name} tab, self time (500 sequential + 5000 pipelined setData from the follower):\n${topSelfTime(profile, 25).join('\n')}\n`);
  }
} finally {
  for (const cleanup of cleanups.reverse()) await Promise.resolve().then(cleanup).catch(() => undefined);
}
