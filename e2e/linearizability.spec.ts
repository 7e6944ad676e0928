import { checkZkHistory, formatZkFailure, parseZkHistory } from '../core/sim/linearizability/index.ts';
import type { GatewayOp } from '../protocol/gateway-ops.ts';
import { openTabs, waitForEnsemble } from './cluster.ts';
import type { PageGlobals } from './contract.ts';
import { expect, note, test } from './fixtures.ts';

// Goal (issue 6, case 6): concurrent writers in five tabs leave a history that is linearizable
// for the ZooKeeper model. Method: every tab runs its own seeded list of contending writes on
// three znodes at once (creates that collide, conditional setData and delete with guessed
// versions); the histories the tabs export (the history record format, core/sim/linearizability/history.ts) are merged and checked with
// the project's checker. Reads are in the mix too: the page's run() syncs before a read, so
// reads must be linearizable as well.

const OPS_PER_TAB = 40;
const PATHS = ['/lin-a', '/lin-b', '/lin-c'] as const;
const CHECK_LIMIT_MS = 60_000;

/** A small seeded PRNG (mulberry32), so a failing workload can be replayed with E2E_SEED. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = Math.imul(state ^ (state >>> 15), 1 | state);
    value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function workload(next: () => number, writer: number): GatewayOp[] {
  const ops: GatewayOp[] = [];
  const version = () => (next() < 0.5 ? -1 : Math.floor(next() * 4));
  for (let index = 0; index < OPS_PER_TAB; index++) {
    const path = PATHS[Math.floor(next() * PATHS.length)]!;
    const data = `w${writer}-${index}`;
    const choice = next();
    if (choice < 0.3) ops.push({ op: 'create', path, data, ephemeral: false, sequential: false });
    else if (choice < 0.6) ops.push({ op: 'set', path, data, version: version() });
    else if (choice < 0.75) ops.push({ op: 'delete', path, version: version() });
    else if (choice < 0.9) ops.push({ op: 'get', path });
    else ops.push({ op: 'exists', path });
  }
  return ops;
}

test('concurrent writers in five tabs leave a linearizable history', async ({ profile, address }) => {
  const seed = Number(process.env.E2E_SEED ?? Math.floor(Math.random() * 2 ** 31));
  note('seed', `E2E_SEED=${seed}`);
  const tabs = await openTabs(profile, address(5), 5);
  await waitForEnsemble(tabs);
  const next = random(seed);
  const workloads = tabs.map((tab) => workload(next, tab.seat!));

  const outcomes = await Promise.all(
    tabs.map((tab, index) =>
      tab.page.evaluate(async (ops) => {
        const keeper = (globalThis as PageGlobals).tabkeeper!;
        const errors: string[] = [];
        for (const op of ops) {
          const result = await keeper.run(op);
          if (!result.ok) errors.push(result.error);
        }
        return errors;
      }, workloads[index]!),
    ),
  );
  const errors = outcomes.flat();
  note('errors', JSON.stringify(countBy(errors)));
  expect(errors.filter((error) => !['NodeExists', 'NoNode', 'BadVersion'].includes(error)), 'errors other than contention').toEqual([]);

  const exported = (await Promise.all(tabs.map((tab) => tab.history()))).flat();
  const records = parseZkHistory(exported);
  expect(records.length, 'one history record per op').toBe(tabs.length * OPS_PER_TAB);
  expect(new Set(records.map((record) => record.client)).size, 'one client per tab').toBe(tabs.length);
  const deadline = Date.now() + CHECK_LIMIT_MS;
  const verdict = checkZkHistory(records, { shouldStop: () => Date.now() > deadline });
  expect(verdict.result, verdict.failure === undefined ? 'checkZkHistory' : formatZkFailure(verdict.failure)).toBe('Ok');

  // The check has teeth on these very records: one read made to return data nobody wrote fails.
  const read = records.findIndex((record) => record.op === 'getData' && record.ok === true);
  expect(read, 'at least one successful read in the history').toBeGreaterThanOrEqual(0);
  const tampered = records.map((record, index) => (index === read ? { ...record, result: { data: 'never written', version: 0 } } : record));
  expect(checkZkHistory(tampered, { shouldStop: () => Date.now() > deadline }).result, 'a tampered history').toBe('Illegal');
});

function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}
