import type { BrowserContext } from '@playwright/test';
import type { PageGlobals } from '../e2e/contract.ts';
import { Tab } from '../e2e/tab.ts';
import { waitForEnsemble } from '../e2e/cluster.ts';
import { BENCH_PATH, measurePipelined, SET_OP } from './tabkeeper.ts';

/**
 * What a user asks besides speed: how long writes stop when the leader's tab goes away, how
 * long a reloaded tab takes to serve again, and how much memory a tab holds.
 */

interface WriterState {
  stop: boolean;
  successes: number[];
}
type WriterGlobals = PageGlobals & { benchWriter?: WriterState };

/** Starts sequential setData in `tab` that records the wall-clock time of every success. */
async function startWriter(tab: Tab): Promise<void> {
  await tab.page.evaluate((path) => {
    const page = globalThis as WriterGlobals;
    const state: WriterState = { stop: false, successes: [] };
    page.benchWriter = state;
    void (async () => {
      while (!state.stop) {
        const result = await page.tabkeeper!.run({ op: 'set', path, data: 'x', version: -1 });
        if (result.ok) state.successes.push(performance.timeOrigin + performance.now());
        // A tab that does not serve answers at once, without a macrotask: yield, or the loop starves the page.
        else await new Promise((resolve) => setTimeout(resolve, 1));
      }
    })();
  }, BENCH_PATH);
}

async function stopWriter(tab: Tab): Promise<number[]> {
  return tab.page.evaluate(() => {
    const state = (globalThis as WriterGlobals).benchWriter!;
    state.stop = true;
    return state.successes;
  });
}

/**
 * The longest gap between successful writes of a follower's tab around the loss of the
 * leader's tab (`lose`), in ms. Writes run before, during and 2 s after a new leader serves.
 */
export async function failoverGap(tabs: Tab[], lose: (leader: Tab) => Promise<void>): Promise<{ gapMs: number; survivors: Tab[] }> {
  const { leader, followers } = await waitForEnsemble(tabs);
  const writer = followers[0]!;
  await startWriter(writer);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const lostAt = Date.now();
  await lose(leader);
  const survivors = tabs.filter((tab) => tab !== leader);
  await waitForEnsemble(survivors);
  await new Promise((resolve) => setTimeout(resolve, 2000));
  // The stop is a point too: a writer that never wrote again after the loss shows the whole wait.
  const successes = [...(await stopWriter(writer)).filter((time) => time > lostAt - 1000), Date.now()];
  let gapMs = 0;
  for (let index = 1; index < successes.length; index++) gapMs = Math.max(gapMs, successes[index]! - successes[index - 1]!);
  return { gapMs, survivors };
}

/** Opens a tab into the free seat of the cluster `like` belongs to and waits for the ensemble. */
export async function refill(context: BrowserContext, like: Tab, tabs: Tab[]): Promise<Tab[]> {
  const tab = await Tab.open(context, like.address);
  const all = [...tabs, tab];
  await waitForEnsemble(all);
  return all;
}

/**
 * Commits setData txns through the leader (pipelined, 64 outstanding) until `target` were
 * written in all, then reloads a follower's tab and times it from the reload until it serves
 * again (status().serving), polled every 5 ms from outside the page.
 */
export async function reloadToServing(tabs: Tab[], written: number, target: number): Promise<{ ms: number; written: number }> {
  const { leader, followers } = await waitForEnsemble(tabs);
  if (target > written) await measurePipelined(leader, SET_OP, target - written, 64);
  const follower = followers[0]!;
  const started = Date.now();
  await follower.page.reload();
  await follower.page.waitForFunction(() => (globalThis as PageGlobals).tabkeeper?.status().serving === true, undefined, { polling: 5, timeout: 60_000 });
  const ms = Date.now() - started;
  await waitForEnsemble(tabs);
  return { ms, written: Math.max(written, target) };
}

/** JavaScript heap in use in each tab (CDP Runtime.getHeapUsage), in bytes. */
export async function heapPerTab(tabs: Tab[]): Promise<number[]> {
  const sizes: number[] = [];
  for (const tab of tabs) {
    const session = await tab.page.context().newCDPSession(tab.page);
    try {
      await session.send('HeapProfiler.collectGarbage');
      const usage = (await session.send('Runtime.getHeapUsage')) as { usedSize: number };
      sizes.push(usage.usedSize);
    } finally {
      await session.detach();
    }
  }
  return sizes;
}
