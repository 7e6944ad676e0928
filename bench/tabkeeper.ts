import { randomBytes } from 'node:crypto';
import type { BrowserContext } from '@playwright/test';
import type { GatewayOp } from '../cli/gateway-ops.ts';
import { openTabs, waitForEnsemble, type Ensemble } from '../e2e/cluster.ts';
import type { PageGlobals } from '../e2e/contract.ts';
import type { Tab } from '../e2e/tab.ts';

/**
 * TabKeeper's own latencies on a fresh three-tab cluster, through the page contract
 * (`window.tabkeeper.run`), timed inside the page like the baselines.
 */

export const BENCH_PATH = '/bench';

export async function openEnsemble(context: BrowserContext, serverUrl: string): Promise<Ensemble> {
  const cluster = `bench-${randomBytes(4).toString('hex')}`;
  const tabs = await openTabs(context, { serverUrl, cluster, size: 3 }, 3);
  return waitForEnsemble(tabs);
}

/** Runs `op` `warmup + count` times in sequence on `tab`; returns the last `count` latencies in ms. Any failed op throws. */
export async function measureOp(tab: Tab, op: GatewayOp, count: number, warmup: number): Promise<number[]> {
  const samples = await tab.page.evaluate(
    async ({ operation, total }) => {
      const keeper = (globalThis as PageGlobals).tabkeeper;
      if (keeper === undefined) throw new Error('window.tabkeeper is not defined');
      const taken: number[] = [];
      for (let index = 0; index < total; index++) {
        const started = performance.now();
        const result = await keeper.run(operation);
        taken.push(performance.now() - started);
        if (!result.ok) throw new Error(`${JSON.stringify(operation)} #${index} failed: ${JSON.stringify(result)}`);
      }
      return taken;
    },
    { operation: op, total: warmup + count },
  );
  return samples.slice(warmup);
}

export const SET_OP: GatewayOp = { op: 'set', path: BENCH_PATH, data: 'x', version: -1 };
export const GET_OP: GatewayOp = { op: 'get', path: BENCH_PATH };
export const CREATE_OP: GatewayOp = { op: 'create', path: BENCH_PATH, data: 'x', ephemeral: false, sequential: false };
