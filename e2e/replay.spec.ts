import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import type { SimTrace } from '../core/trace-format.ts';
import { expect, test } from './fixtures.ts';
import { REPOSITORY_ROOT } from './processes.ts';

// Goal: a simulator trace replayed in the app shows, at every step, the states the simulator
// recorded, and time travel lands on the same states. Method: `npm run sim -- --seed N --trace`
// writes the file; the page (/?replay) loads it through its file picker; the test folds the
// file's status events itself and compares with the state badges the page shows.

const SEED = 12;
const SCREENSHOTS = join(REPOSITORY_ROOT, 'docs', 'screenshots');

function writeTrace(): { trace: SimTrace; path: string; cleanup: () => void } {
  const directory = mkdtempSync(join(tmpdir(), 'tabkeeper-trace-'));
  const path = join(directory, `seed-${SEED}.json`);
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/sim.ts', '--seed', String(SEED), '--servers', '3', '--trace', path], { cwd: REPOSITORY_ROOT, encoding: 'utf8' });
  expect(run.status, `sim exited: ${run.stderr}`).toBe(0);
  return { trace: JSON.parse(readFileSync(path, 'utf8')) as SimTrace, path, cleanup: () => rmSync(directory, { recursive: true, force: true }) };
}

/** Each server's recorded state after the first `index` events. */
function recordedStates(trace: SimTrace, index: number): Map<number, string> {
  const states = new Map<number, string>();
  for (let sid = 1; sid <= trace.voters + trace.observers; sid++) states.set(sid, 'DOWN');
  for (const event of trace.events.slice(0, index)) if (event.type === 'status') states.set(event.sid, event.status?.state ?? 'DOWN');
  return states;
}

/** Each server's recorded data tree (path -> data) after the first `index` events. */
function recordedTrees(trace: SimTrace, index: number): Map<number, Map<string, string>> {
  const trees = new Map<number, Map<string, string>>();
  for (const event of trace.events.slice(0, index)) {
    if (event.type !== 'tree') continue;
    const tree = trees.get(event.sid) ?? new Map<string, string>();
    for (const path of event.remove) tree.delete(path);
    for (const node of event.set) tree.set(node.path, node.data);
    trees.set(event.sid, tree);
  }
  return trees;
}

/** What a znode row shows of its data (TreeNode's preview). */
function preview(data: string): string {
  return data.length > 48 ? `${data.slice(0, 48)}…` : data;
}

async function expectStatesAtPlayhead(page: Page, trace: SimTrace): Promise<number> {
  const index = Number(await page.getByTestId('replay-index').textContent());
  for (const [sid, state] of recordedStates(trace, index)) {
    await expect(page.getByTestId(`replay-state-${sid}`), `S${sid} after ${index} events`).toHaveText(state);
  }
  // Every server's tree: the root (open) and its children, each with its data, as recorded.
  const trees = recordedTrees(trace, index);
  for (let sid = 1; sid <= trace.voters + trace.observers; sid++) {
    const tree = trees.get(sid);
    const list = page.getByTestId(`replay-tree-${sid}`);
    if (tree === undefined || tree.size === 0) {
      await expect(list, `S${sid} has applied nothing after ${index} events`).toHaveCount(0);
      continue;
    }
    const expected = [...tree.entries()].filter(([path]) => path === '/' || path.lastIndexOf('/') === 0).sort(([a], [b]) => (a === '/' ? -1 : b === '/' ? 1 : a < b ? -1 : a > b ? 1 : 0)).map(([path, data]) => [path, preview(data)]);
    await expect
      .poll(() => list.locator('[data-path]').evaluateAll((rows) => rows.filter((row) => row.getAttribute('data-path') === '/' || row.getAttribute('data-path')!.lastIndexOf('/') === 0).map((row) => [row.getAttribute('data-path'), row.querySelector('[data-testid="znode-data"]')?.textContent ?? ''])), { message: `S${sid}'s tree after ${index} events` })
      .toEqual(expected);
  }
  return index;
}

test('a replayed trace steps and travels to the states the simulator recorded', async ({ profile, signaling }) => {
  const { trace, path, cleanup } = writeTrace();
  try {
    expect(trace.events.length).toBeGreaterThan(1000);
    const page = await profile.newPage();
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(new URL('/?replay', signaling.url).toString());
    await page.getByLabel('Load a trace file').setInputFiles(path);
    await expect(page.getByRole('heading', { name: `Replay: seed ${SEED}` })).toBeVisible();
    await expect(page.getByTestId('replay-index')).toHaveText('0');

    // Step: each press applies events up to the next one that is not a heartbeat.
    let last = 0;
    for (let step = 0; step < 60; step++) {
      await page.getByRole('button', { name: 'Step', exact: true }).click();
      await expect(page.getByTestId('replay-index')).not.toHaveText(String(last));
      const index = await expectStatesAtPlayhead(page, trace);
      expect(index).toBeGreaterThan(last);
      last = index;
    }
    // Back one step, by keyboard.
    await page.keyboard.press('ArrowLeft');
    await expect(page.getByTestId('replay-index')).not.toHaveText(String(last));
    await expectStatesAtPlayhead(page, trace);

    // Time travel: every "leads epoch" moment shows that server LEADING, whatever came before.
    const leads = page.getByRole('button', { name: /S\d leads epoch \d+/ });
    const count = await leads.count();
    expect(count, 'leaders elected in this seed').toBeGreaterThanOrEqual(2);
    for (const position of [count - 1, 0, Math.floor(count / 2)]) {
      const button = leads.nth(position);
      const sid = Number((await button.textContent())!.match(/S(\d) leads/)![1]);
      await button.click();
      await expect(page.getByTestId(`replay-state-${sid}`)).toHaveText('LEADING');
      await expectStatesAtPlayhead(page, trace);
    }
    await page.getByRole('button', { name: 'To the end' }).click();
    await expect(page.getByTestId('replay-index')).toHaveText(String(trace.events.length));
    await expectStatesAtPlayhead(page, trace);
    // Converged: one digest in every server's tree.
    const digests = await Promise.all(Array.from({ length: trace.voters }, (_, index) => page.getByTestId(`replay-tree-${index + 1}-digest`).textContent()));
    expect(new Set(digests).size, `digests ${digests.join(' ')}`).toBe(1);
    expect(digests[0]).toMatch(/^[0-9a-f]{16}$/);

    // Play at 1× (the whole run in about its simulated time; at the default 0.05× it would take
    // twenty times longer), pause mid-way: the playhead holds, on the states the file recorded.
    const playback = page.getByRole('group', { name: 'Playback' });
    await page.getByRole('button', { name: 'To the start' }).click();
    await page.getByLabel('speed').selectOption('1');
    await playback.getByRole('button', { name: 'Play', exact: true }).click();
    await expect.poll(async () => Number(await page.getByTestId('replay-index').textContent()), { message: 'playing advances', timeout: 20_000 }).toBeGreaterThan(300);
    await playback.getByRole('button', { name: 'Pause', exact: true }).click();
    await expect(playback.getByRole('button', { name: 'Play', exact: true })).toBeVisible();
    const paused = await expectStatesAtPlayhead(page, trace);
    expect(paused).toBeLessThan(trace.events.length);
    // Twenty animation frames: the player advances on frames, so a paused one must not have moved.
    await page.evaluate(() => new Promise<void>((resolve) => {
      const page = globalThis as unknown as { requestAnimationFrame(callback: () => void): number };
      const frame = (callback: () => void) => page.requestAnimationFrame(callback);
      let frames = 0;
      const next = (): void => {
        if (++frames >= 20) resolve();
        else frame(next);
      };
      frame(next);
    }));
    await expect(page.getByTestId('replay-index'), 'paused, the playhead holds').toHaveText(String(paused));
    await playback.getByRole('button', { name: 'Play', exact: true }).click();
    await expect(page.getByTestId('replay-index'), 'played to the end at 1×').toHaveText(String(trace.events.length), { timeout: 30_000 });
    await expectStatesAtPlayhead(page, trace);

    // A picture mid-run for the README: the second leader's moment, then a few steps of traffic.
    await leads.nth(1).click();
    for (let step = 0; step < 6; step++) await page.getByRole('button', { name: 'Step', exact: true }).click();
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, 'replay-1280.png'), fullPage: true });
  } finally {
    cleanup();
  }
});
