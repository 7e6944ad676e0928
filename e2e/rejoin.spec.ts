import { openTabs, waitCaughtUp, waitForEnsemble } from './cluster.ts';
import type { PageGlobals } from './contract.ts';
import { expect, note, test } from './fixtures.ts';
import { Tab } from './tab.ts';
import { acknowledgedCount, startWriter, stopWriter } from './writer.ts';

// Goal (issue 10, items 1 and 2): a tab that comes back while the cluster is busy catches up
// in bounded time and holds everything. A follower reloaded while another tab writes back to
// back serves again within seconds (it used to refuse COMMITs that came during its sync and
// never rejoin) and holds every acknowledged write. A tab closed while twenty 1 MiB values are
// written comes back by SNAP (the log was compacted past it), sent in chunks below the
// transport's limit, and holds every value. Method: one browser profile (IndexedDB on disk),
// writers inside the pages (window.tabkeeper.run), the page's own log for how it synced.

/** "A few seconds", with room for a loaded 2-core machine: page load, seat reclaim, IndexedDB, sync. */
const REJOIN_LIMIT_MS = 8_000;
/** Writes the reloaded follower must see made after it serves again, so it is not merely caught up once. */
const ACKS_AFTER_REJOIN = 30;

/** Every line of the tab's own log (what the page's "What this tab did" shows), newest first as shown there. */
async function logText(tab: Tab): Promise<string> {
  return (await tab.logs()).reverse().join('\n');
}

test('a follower reloaded while another tab writes back to back serves again within seconds and holds every write', async ({ profile, address }) => {
  const tabs = await openTabs(profile, address(3), 3);
  const { leader, followers } = await waitForEnsemble(tabs);
  const [reloaded, writer] = [followers[0]!, followers[1]!];
  await writer.runOk({ op: 'create', path: '/load', data: '', ephemeral: false, sequential: false });
  await startWriter(writer, 'load', '/load');
  await expect.poll(() => acknowledgedCount(writer, 'load'), { timeout: 30_000 }).toBeGreaterThanOrEqual(20);

  const reloadedAt = Date.now();
  await reloaded.page.reload();
  // Polled often: the time it takes is the measure.
  await expect
    .poll(async () => reloaded.status().catch(() => null), { timeout: 60_000, intervals: [50] })
    .toMatchObject({ state: 'FOLLOWING', serving: true, leader: leader.seat });
  const rejoinMs = Date.now() - reloadedAt;
  const atRejoin = await acknowledgedCount(writer, 'load');
  note('rejoin under load', `the reloaded follower served again ${rejoinMs} ms after the reload began, while ${atRejoin} writes had been acknowledged`);

  await expect.poll(() => acknowledgedCount(writer, 'load'), { timeout: 30_000 }).toBeGreaterThanOrEqual(atRejoin + ACKS_AFTER_REJOIN);
  const report = await stopWriter(writer, 'load');
  expect(report.errors, 'errors answered to the writer').toEqual([]);
  const status = await waitCaughtUp(reloaded, leader);
  expect(status.restored, 'the reloaded follower rebuilt itself from IndexedDB').not.toBeNull();
  // Once serving, it stayed with its leader: no return to LOOKING while the writes went on; and
  // the page's log view shows it (it redraws in its turn, one view per frame).
  await expect(reloaded.page.getByTestId('log'), "the reloaded follower's log view").toContainText(/up to date with leader/);
  const log = await logText(reloaded);
  const rejoinedLine = log.split('\n').findIndex((line) => /up to date with leader/.test(line));
  expect(rejoinedLine, 'the reloaded follower logged that it is up to date').toBeGreaterThanOrEqual(0);
  expect(log.split('\n').slice(0, rejoinedLine).filter((line) => /becomes LOOKING/.test(line)), 'LOOKING again after rejoining').toEqual([]);

  const held = (await reloaded.runOk({ op: 'ls', path: '/load' })) as string[];
  expect(held.length, 'znodes under /load on the reloaded follower').toBe(report.acknowledged.length);
  expect([...held].sort(), 'the reloaded follower holds exactly the acknowledged writes').toEqual([...report.acknowledged].sort());
  expect(rejoinMs, `ms from the reload to serving again (limit ${REJOIN_LIMIT_MS})`).toBeLessThan(REJOIN_LIMIT_MS);
});

/** Twenty values of 1 MiB each (the largest znode data core takes): 20 MiB of state. */
const BIG_VALUES = 20;
const MIB = 1024 * 1024;
/** Snapshot every 5 txns and keep 2 behind it: the log is compacted well past a tab that is away. */
const BIG_SNAPSHOTS = { snapshotEvery: '5', retainLog: '2' } as const;

test('twenty 1 MiB values written while a tab is closed: reopened, it catches up by SNAP in chunks and holds every value', async ({ profile, address }) => {
  test.setTimeout(240_000);
  const tabs = await openTabs(profile, address(3, BIG_SNAPSHOTS), 3);
  const { leader, followers } = await waitForEnsemble(tabs);
  const away = followers[0]!;
  const seat = away.seat!;
  await leader.runOk({ op: 'create', path: '/big', data: 'before', ephemeral: false, sequential: false });
  const had = await waitCaughtUp(away, leader);
  await away.close();
  await expect.poll(async () => (await leader.status()).peers, { timeout: 30_000 }).not.toContain(seat);

  const started = Date.now();
  const failures = await leader.page.evaluate(
    async ({ count, bytes }) => {
      const keeper = (globalThis as PageGlobals).tabkeeper!;
      const errors: string[] = [];
      for (let index = 0; index < count; index++) {
        const data = `${index}:`.padEnd(bytes, String.fromCharCode(97 + (index % 26)));
        const result = await keeper.run({ op: 'create', path: `/big/v-${index}`, data, ephemeral: false, sequential: false });
        if (!result.ok) errors.push(`v-${index}: ${result.error}`);
      }
      return errors;
    },
    { count: BIG_VALUES, bytes: MIB },
  );
  expect(failures, 'writes of 1 MiB values').toEqual([]);
  note('big values', `${BIG_VALUES} x 1 MiB written in ${Date.now() - started} ms with a tab away`);

  const reopenedAt = Date.now();
  const back = await Tab.open(profile, address(3, BIG_SNAPSHOTS));
  expect(back.seat, 'the reopened tab takes the seat it left').toBe(seat);
  await waitCaughtUp(back, leader);
  note('catch-up', `the reopened tab served with 20 MiB of state ${Date.now() - reopenedAt} ms after it was opened`);
  expect((await back.status()).restored?.lastZxid, 'it rebuilt from its IndexedDB first').toBe(had.lastZxid);

  // How it caught up, as both pages say it: the leader chose SNAP for it, and it installed one sent in chunks.
  await expect(leader.page.getByTestId('log'), "the leader's log").toContainText(new RegExp(`syncs ${seat} \\(last ${had.lastZxid}\\) by SNAP`));
  // The page redraws its panels in turns, one per frame: wait for the log view to show the sync's end.
  await expect(back.page.getByTestId('log'), "the reopened tab's log").toContainText(/up to date with leader/);
  const backLog = await logText(back);
  expect(backLog, "the reopened tab's log: a SNAP in several chunks").toMatch(/SNAP \d+:\d+: chunk \d+ of \d+/);
  expect(backLog, "the reopened tab's log").toMatch(/installs snapshot at/);
  // One sync did it (issue 12): the SNAP holds the link for seconds with the leader's PINGs behind
  // it; the learner answers each chunk, so the leader keeps it and the sync is not started over.
  // Measured on a 2-core machine (the catch-up note): before, 3.4-5.0 s in 11 runs of 17, where the
  // leader had dropped the learner mid-SNAP and it synced again, 1.8-1.9 s in 5, and once stuck
  // LOOKING for 45 s; after, 1.8-2.6 s in 12 runs of 12, one sync each: ~0.4 s page and storage,
  // ~0.1 s building the SNAP, ~1.0-1.5 s moving its 21 MB over the DataChannel (the same with
  // 64 KiB frames), ~0.2 s restoring and checking it, ~0.1 s writing it.
  expect(backLog, "the reopened tab's log: LOOKING again after following").not.toMatch(/becomes LOOKING/);

  const mismatches = await back.page.evaluate(
    async ({ count, bytes }) => {
      const keeper = (globalThis as PageGlobals).tabkeeper!;
      const wrong: string[] = [];
      for (let index = 0; index < count; index++) {
        const result = await keeper.run({ op: 'get', path: `/big/v-${index}` });
        const expected = `${index}:`.padEnd(bytes, String.fromCharCode(97 + (index % 26)));
        if (!result.ok) wrong.push(`v-${index}: ${result.error}`);
        else if ((result.value as { data: string }).data !== expected) wrong.push(`v-${index}: other data (${(result.value as { data: string }).data.length} characters)`);
      }
      return wrong;
    },
    { count: BIG_VALUES, bytes: MIB },
  );
  expect(mismatches, 'values the reopened tab reads differently').toEqual([]);
  // And it serves writes again.
  await back.runOk({ op: 'set', path: '/big', data: 'after', version: -1 });
  await expect.poll(async () => leader.run({ op: 'get', path: '/big' })).toMatchObject({ ok: true, value: { data: 'after' } });
});
