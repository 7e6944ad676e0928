import { checkZkHistory, formatZkFailure, parseZkHistory } from '../core/sim/linearizability/index.ts';
import type { GatewayOp, GatewayResult } from '../protocol/gateway-ops.ts';
import { historyRecord, type HistoryRecord } from '../protocol/history.ts';
import { openTabs, waitForEnsemble } from './cluster.ts';
import type { PageGlobals } from './contract.ts';
import { expect, note, test } from './fixtures.ts';
import { Tab, type TabAddress } from './tab.ts';

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

function workload(next: () => number, writer: number, count = OPS_PER_TAB): GatewayOp[] {
  const ops: GatewayOp[] = [];
  const version = () => (next() < 0.5 ? -1 : Math.floor(next() * 4));
  for (let index = 0; index < count; index++) {
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
  expectLinearizable(records);
});

/** Checks `records` with the project's checker, and that the check has teeth on these very records. */
function expectLinearizable(records: ReturnType<typeof parseZkHistory>): void {
  const deadline = Date.now() + CHECK_LIMIT_MS;
  const verdict = checkZkHistory(records, { shouldStop: () => Date.now() > deadline });
  expect(verdict.result, verdict.failure === undefined ? 'checkZkHistory' : formatZkFailure(verdict.failure)).toBe('Ok');

  // One read made to return data nobody wrote fails.
  const read = records.findIndex((record) => record.op === 'getData' && record.ok === true);
  expect(read, 'at least one successful read in the history').toBeGreaterThanOrEqual(0);
  const tampered = records.map((record, index) => (index === read ? { ...record, result: { data: 'never written', version: 0 } } : record));
  expect(checkZkHistory(tampered, { shouldStop: () => Date.now() > deadline }).result, 'a tampered history').toBe('Illegal');
}

function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

// With faults in the middle: the writers' histories are recorded by the test as each operation
// is called and returns (a page binding), so an operation cut short when its tab is closed,
// reloaded or killed stays in the history as an unknown outcome (ok null), exactly as the
// checker must treat it: it may or may not have taken effect.

/** The longest a faults run writes: it is stopped once the faults are over. */
const OPS_PER_TAB_WITH_FAULTS = 600;
/** Operations returned between two faults (across all writers), so that each fault lands mid-stream. */
const OPS_BETWEEN_FAULTS = 25;

type LinEvent =
  | { readonly kind: 'call'; readonly client: string; readonly index: number; readonly op: GatewayOp; readonly at: number }
  | { readonly kind: 'return'; readonly client: string; readonly index: number; readonly result: GatewayResult; readonly at: number };

type LinGlobals = PageGlobals & {
  __linRecord?: (event: LinEvent) => Promise<void>;
  __linWriter?: { stop: boolean; done: Promise<void> };
};

/** Calls and returns as the writers reported them; a call without a return is an unknown outcome. */
class RecordedHistory {
  private readonly calls = new Map<string, { client: string; op: GatewayOp; at: number; returned?: { result: GatewayResult; at: number } }>();
  returns = 0;

  add(event: LinEvent): void {
    const key = `${event.client}/${event.index}`;
    if (event.kind === 'call') this.calls.set(key, { client: event.client, op: event.op, at: event.at });
    else {
      const call = this.calls.get(key);
      if (call === undefined) throw new Error(`a return without its call: ${key}`);
      call.returned = { result: event.result, at: event.at };
      this.returns++;
    }
  }

  records(): HistoryRecord[] {
    const unknown: GatewayResult = { ok: false, error: 'ConnectionLoss' };
    return [...this.calls.values()].flatMap(({ client, op, at, returned }) => {
      const record = historyRecord(client, op, at, returned?.at ?? at, returned?.result ?? unknown);
      return record === null ? [] : [record];
    });
  }
}

/** Starts `ops` in `tab`'s page as client `client`, each call and return reported before and after run(). */
async function startRecordedWriter(tab: Tab, client: string, ops: readonly GatewayOp[]): Promise<void> {
  await tab.page.evaluate(
    ({ client, ops }) => {
      const globals = globalThis as LinGlobals;
      const keeper = globals.tabkeeper!;
      const record = globals.__linRecord!;
      const now = () => performance.timeOrigin + performance.now();
      const writer = { stop: false, done: Promise.resolve() };
      globals.__linWriter = writer;
      writer.done = (async () => {
        for (let index = 0; index < ops.length && !writer.stop; index++) {
          await record({ kind: 'call', client, index, op: ops[index]!, at: now() });
          const result = await keeper.run(ops[index]!);
          await record({ kind: 'return', client, index, result, at: now() });
        }
      })();
    },
    { client, ops },
  );
}

async function stopRecordedWriter(tab: Tab): Promise<void> {
  await tab.page.evaluate(async () => {
    const writer = (globalThis as LinGlobals).__linWriter;
    if (writer === undefined) return;
    writer.stop = true;
    await writer.done;
  });
}

test('with faults in the middle (the leader tab closed, a follower reloaded, a renderer killed) the history, unknown outcomes included, stays linearizable', async ({ profile, address }) => {
  test.setTimeout(300_000);
  const seed = Number(process.env.E2E_SEED ?? Math.floor(Math.random() * 2 ** 31));
  note('seed', `E2E_SEED=${seed}`);
  const history = new RecordedHistory();
  await profile.exposeBinding('__linRecord', (_source, event: LinEvent) => history.add(event));
  const tabAddress: TabAddress = address(5);
  const tabs = await openTabs(profile, tabAddress, 5);
  let ensemble = await waitForEnsemble(tabs);
  const next = random(seed);
  const writers = new Set(tabs);
  for (const tab of tabs) await startRecordedWriter(tab, `seat-${tab.seat}`, workload(next, tab.seat!, OPS_PER_TAB_WITH_FAULTS));

  const progress = async (what: string) => {
    const target = history.returns + OPS_BETWEEN_FAULTS;
    await expect.poll(() => history.returns, { timeout: 60_000, message: `operations returned ${what}` }).toBeGreaterThanOrEqual(target);
  };
  /** Puts a fresh tab in the seat `lost` left, so that the next fault still leaves a quorum. */
  const replace = async (lost: Tab) => {
    const fresh = await Tab.open(profile, tabAddress);
    tabs.splice(tabs.indexOf(lost), 1, fresh);
    ensemble = await waitForEnsemble(tabs);
  };
  const faults: string[] = [];

  await progress('before the first fault');
  const closed = ensemble.leader;
  faults.push(`closed the leader's tab (seat ${closed.seat})`);
  writers.delete(closed);
  await closed.close();
  await replace(closed);

  await progress('after the leader tab closed');
  const reloaded = ensemble.followers.find((tab) => writers.has(tab))!;
  faults.push(`reloaded a follower (seat ${reloaded.seat})`);
  writers.delete(reloaded);
  await reloaded.page.reload();
  await reloaded.waitForStatus('serving again after the reload', (status) => expect(status.serving, 'serving').toBe(true));
  ensemble = await waitForEnsemble(tabs);

  await progress('after the follower reloaded');
  const killed = ensemble.leader;
  faults.push(`killed the leader's renderer (seat ${killed.seat})`);
  writers.delete(killed);
  await killed.crash();
  await replace(killed);

  await progress('after the renderer was killed');
  for (const tab of writers) await stopRecordedWriter(tab);
  note('faults', faults.join('; '));

  const records = parseZkHistory(history.records());
  const unknown = records.filter((record) => record.ok === null).length;
  note('history', `${records.length} records from ${new Set(records.map((record) => record.client)).size} writers, ${unknown} of unknown outcome`);
  expect(records.length, 'records in the history').toBeGreaterThan(3 * OPS_BETWEEN_FAULTS);
  expectLinearizable(records);
});
