import { randomBytes } from 'node:crypto';
import type { BrowserContext } from '@playwright/test';
import type { GatewayOp } from '../protocol/gateway-ops.ts';
import { openTabs, waitForEnsemble, type Ensemble } from '../e2e/cluster.ts';
import type { PageGlobals } from '../e2e/contract.ts';
import type { Tab } from '../e2e/tab.ts';

/**
 * TabKeeper's own latencies on a fresh three-tab cluster, through the page contract
 * (`window.tabkeeper.run`), timed inside the page like the baselines.
 */

export const BENCH_PATH = '/bench';

/** `query`: extra URL parameters of every tab (`{ views: '0' }`: the tab with no views mounted). */
export async function openEnsemble(context: BrowserContext, serverUrl: string, size = 3, query?: Readonly<Record<string, string>>): Promise<Ensemble & { tabs: Tab[] }> {
  const cluster = `bench-${randomBytes(4).toString('hex')}`;
  const tabs = await openTabs(context, { serverUrl, cluster, size, ...(query === undefined ? {} : { query }) }, size);
  return { ...(await waitForEnsemble(tabs)), tabs };
}

/**
 * Runs `ops` (the same op, or a create+delete pair when `pair`) `warmup + count` times in
 * sequence; for a pair each sample is the whole pair. Paths get the iteration's number where
 * they contain `#`.
 */
export async function measureSequence(tab: Tab, ops: readonly GatewayOp[], count: number, warmup: number): Promise<number[]> {
  const samples = await tab.page.evaluate(
    async ({ operations, total }) => {
      const keeper = (globalThis as PageGlobals).tabkeeper;
      if (keeper === undefined) throw new Error('window.tabkeeper is not defined');
      const taken: number[] = [];
      for (let index = 0; index < total; index++) {
        const started = performance.now();
        for (const operation of operations) {
          const named = 'path' in operation ? { ...operation, path: operation.path.replace('#', String(index)) } : operation;
          const result = await keeper.run(named);
          if (!result.ok) throw new Error(`${JSON.stringify(named)} #${index} failed: ${JSON.stringify(result)}`);
        }
        taken.push(performance.now() - started);
      }
      return taken;
    },
    { operations: ops, total: warmup + count },
  );
  return samples.slice(warmup);
}

export interface PipelinedRun {
  /** Completed operations per second over the whole run. */
  readonly opsPerSecond: number;
  /** Latency of each operation from its call to its result, ms. */
  readonly latencies: number[];
}

/**
 * `total` runs of `op` with `outstanding` in flight at once (a new one starts as each settles),
 * all in the tab's one session: the client pipelines them and answers in call order.
 */
export async function measurePipelined(tab: Tab, op: GatewayOp, total: number, outstanding: number): Promise<PipelinedRun> {
  return tab.page.evaluate(
    async ({ operation, count, window }) => {
      const keeper = (globalThis as PageGlobals).tabkeeper;
      if (keeper === undefined) throw new Error('window.tabkeeper is not defined');
      const latencies: number[] = [];
      let started = 0;
      let failure: string | null = null;
      const began = performance.now();
      const lane = async () => {
        while (started < count && failure === null) {
          started++;
          const at = performance.now();
          const result = await keeper.run(operation);
          latencies.push(performance.now() - at);
          if (!result.ok) failure = JSON.stringify(result);
        }
      };
      await Promise.all(Array.from({ length: window }, lane));
      if (failure !== null) throw new Error(`a pipelined ${operation.op} failed: ${failure}`);
      return { opsPerSecond: (1000 * latencies.length) / (performance.now() - began), latencies };
    },
    { operation: op, count: total, window: outstanding },
  );
}

export const SET_OP: GatewayOp = { op: 'set', path: BENCH_PATH, data: 'x', version: -1 };
export const GET_OP: GatewayOp = { op: 'get', path: BENCH_PATH };
export const CREATE_PAIR: readonly GatewayOp[] = [
  { op: 'create', path: '/pair-#', data: 'x', ephemeral: false, sequential: false },
  { op: 'delete', path: '/pair-#', version: -1 },
];
export const CREATE_OP: GatewayOp = { op: 'create', path: BENCH_PATH, data: 'x', ephemeral: false, sequential: false };
