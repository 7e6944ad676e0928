import type { BrowserContext, TestInfo } from '@playwright/test';
import { RedisUnderTest } from '../signaling/testing/redis-server.ts';
import { waitForEnsemble } from './cluster.ts';
import { expect, note, STATIC_DIRECTORY_VARIABLE, test } from './fixtures.ts';
import { startSignalingServer, type SignalingServer } from './processes.ts';
import { ELECTION_TIMEOUT_MS, Tab, type TabAddress } from './tab.ts';

// Goal (issue 15): a signaling server's death or restart costs the cluster no tab. Tabs keep
// their DataChannels (a signaling word is a hint, never a verdict), move to another server of
// the deployment or come back to the restarted one, keep their seats (seat tokens), and a
// restarted server gives no held seat to a new tab. Method: real signaling servers as child
// processes (one Redis from Debian for the scale-out case), killed with SIGKILL or stopped with
// SIGTERM while a loop writes through a tab; every wait is for a condition.

const REGISTERED_WITHIN_MS = 15_000;

function staticDirectory(): string {
  const directory = process.env[STATIC_DIRECTORY_VARIABLE];
  if (directory === undefined) throw new Error(`${STATIC_DIRECTORY_VARIABLE} is not set: global-setup.ts builds the app`);
  return directory;
}

interface Health {
  readonly rooms: number;
  readonly seats: number;
  readonly localSeats: number;
  readonly sockets: number;
  readonly servers: string[];
}

async function health(server: SignalingServer): Promise<Health> {
  return (await (await fetch(`${server.url}/health`)).json()) as Health;
}

/** Polls `server`'s /health until `check` holds; returns how long that took. */
async function waitForHealth(server: SignalingServer, what: string, check: (health: Health) => boolean, timeoutMs = REGISTERED_WITHIN_MS): Promise<number> {
  const started = Date.now();
  let last: Health | string = 'no answer yet';
  await expect(async () => {
    last = await health(server).catch((error: Error) => error.message);
    expect(typeof last !== 'string' && check(last), `${what}; last /health: ${JSON.stringify(last)}`).toBe(true);
  }).toPass({ timeout: timeoutMs, intervals: [100, 250] });
  return Date.now() - started;
}

/** Writes one znode after another through `tab` until stopped; the results say whether writes went on. */
function startWriter(tab: Tab, prefix: string) {
  const results: { index: number; ok: boolean; error?: string }[] = [];
  let running = true;
  const loop = (async () => {
    for (let index = 0; running; index++) {
      const result = await tab.run({ op: 'create', path: `/${prefix}-${index}`, data: String(index), ephemeral: false, sequential: false });
      results.push(result.ok ? { index, ok: true } : { index, ok: false, error: result.error });
    }
  })();
  return {
    results,
    succeeded: () => results.filter((result) => result.ok).length,
    async stop() {
      running = false;
      await loop;
      return results;
    },
  };
}

/** Waits until `writer` has `more` successful writes beyond now. */
async function waitForWrites(writer: ReturnType<typeof startWriter>, more: number): Promise<void> {
  const target = writer.succeeded() + more;
  await expect.poll(() => writer.succeeded(), { timeout: 60_000, message: `${more} more writes succeed` }).toBeGreaterThanOrEqual(target);
}

/** Every tab serves and has an open DataChannel to every other seat in `seats`. */
async function expectFullMesh(tabs: readonly Tab[], seats: readonly number[]): Promise<void> {
  for (const tab of tabs) {
    await tab.waitForStatus('serves with links to every other seat', (status) => {
      expect(status.serving).toBe(true);
      expect(status.peers).toEqual(seats.filter((seat) => seat !== status.seat));
    });
  }
}

/** On failure: each tab's own log (the page's log panel) and each signaling server's log. */
async function attachLogs(testInfo: TestInfo, profile: BrowserContext, servers: readonly SignalingServer[]): Promise<void> {
  if (testInfo.status === testInfo.expectedStatus) return;
  const lines: string[] = [];
  for (const page of profile.pages()) {
    const log = await page.getByTestId('log').innerText({ timeout: 2_000 }).catch((error: Error) => `unreadable: ${error.message.split('\n')[0]}`);
    lines.push(`== ${page.url()}\n${log}`);
  }
  await testInfo.attach('tab logs', { body: lines.join('\n'), contentType: 'text/plain' });
  for (const [index, server] of servers.entries()) {
    await testInfo.attach(`signaling server ${index + 1} (${server.url}) log`, { body: server.process.stderr.slice(-400).join('\n'), contentType: 'text/plain' });
  }
}

/**
 * One Redis for the describe block that calls it, and the signaling servers its tests start:
 * their logs are attached to each test and they stop after it.
 */
function useRedisDeployment(): { readonly redisUrl: () => string; readonly servers: SignalingServer[] } {
  let redis: RedisUnderTest | null = null;
  const servers: SignalingServer[] = [];
  test.beforeAll(async () => {
    redis = await RedisUnderTest.start();
  });
  test.afterAll(async () => {
    await redis?.stop();
  });
  test.afterEach(async ({ profile }, testInfo) => {
    await attachLogs(testInfo, profile, servers);
    for (const server of servers.splice(0)) await server.stop();
  });
  return { redisUrl: () => redis!.url, servers };
}

test.describe('two signaling servers sharing Redis', () => {
  const { redisUrl, servers } = useRedisDeployment();

  async function startServer(): Promise<SignalingServer> {
    const server = await startSignalingServer(staticDirectory(), { args: ['--redis', redisUrl()] });
    servers.push(server);
    return server;
  }

  /**
   * A 5-seat cluster with three tabs on the server to be killed and two on the survivor, the
   * leader on the server `leaderOn` names. Seats 1 and 2 open on one server and seat 3 on the
   * other; once they elect a leader, its server takes the role asked for, and seats 4 and 5 go
   * where the three-and-two split needs them (joining tabs follow the established leader).
   */
  async function fiveSeats(profile: BrowserContext, cluster: string, leaderOn: 'survivor' | 'doomed') {
    const x = await startServer();
    const y = await startServer();
    const address = (server: SignalingServer): TabAddress => ({ serverUrl: server.url, cluster, size: 5 });
    // A new cluster is founded only by all N blank seats (core/seats.ts), so all five open first
    // (three on the server to be killed), and which seat leads is up to the election. While the
    // leader sits on the wrong side, its tab closes and reopens on its own server (same seat, same
    // storage): the others elect another leader.
    const placement = [x, x, x, y, y];
    const doomed = x;
    const survivor = y;
    const tabs: Tab[] = [];
    const open = async (server: SignalingServer) => {
      const tab = await Tab.open(profile, address(server));
      expect((await tab.status()).seat, `seat of the tab opened ${tabs.length + 1}th`).toBe(tabs.length + 1);
      tabs.push(tab);
    };
    for (const server of placement) await open(server);
    let ensemble = await waitForEnsemble(tabs);
    const wanted = leaderOn === 'survivor' ? survivor : doomed;
    for (let attempt = 0; attempt < 8 && placement[tabs.indexOf(ensemble.leader)] !== wanted; attempt++) {
      const index = tabs.indexOf(ensemble.leader);
      await ensemble.leader.close();
      const others = tabs.filter((_, each) => each !== index);
      await waitForEnsemble(others);
      const reopened = await Tab.open(profile, address(placement[index]!));
      expect((await reopened.status()).seat, 'the reopened tab takes its seat back').toBe(index + 1);
      tabs[index] = reopened;
      ensemble = await waitForEnsemble(tabs);
    }
    expect(placement[tabs.indexOf(ensemble.leader)], `the leader (seat ${ensemble.leader.seat}) is on the ${leaderOn} server`).toBe(leaderOn === 'survivor' ? survivor : doomed);
    note('placement', `seats on the killed server: ${placement.flatMap((server, index) => (server === doomed ? [index + 1] : [])).join(',')}; leader seat ${ensemble.leader.seat}`);
    await expectFullMesh(tabs, [1, 2, 3, 4, 5]);
    await waitForHealth(survivor, 'two tabs on the survivor, five seats in all', (h) => h.localSeats === 2 && h.seats === 5);
    // Each server lists both (and has told its tabs): a deployment's servers run long before one fails.
    for (const server of [x, y]) await waitForHealth(server, 'both servers listed', (h) => h.servers.length === 2);
    return { survivor, doomed, tabs, ensemble, address };
  }

  for (const leaderOn of ['survivor', 'doomed'] as const) {
    test(`killing the server of three of five tabs (leader on the ${leaderOn === 'survivor' ? 'other' : 'killed'} server): every seat stays, writes go on, its tabs move`, async ({ profile, launchBrowser, cluster }) => {
      const { survivor, doomed, tabs, ensemble, address } = await fiveSeats(profile, cluster, leaderOn);
      const writer = startWriter(ensemble.followers[0]!, 'during');
      await waitForWrites(writer, 5);
      const killedAt = Date.now();
      await doomed.process.kill('SIGKILL');

      const movedMs = await waitForHealth(survivor, 'all five tabs registered with the survivor', (h) => h.localSeats === 5);
      note('moved', `the killed server's three tabs were registered with the other ${movedMs} ms after the kill`);
      await waitForWrites(writer, 10);
      const results = await writer.stop();
      const failed = results.filter((result) => !result.ok);
      note('writes', `${results.length} writes through seat ${ensemble.followers[0]!.seat}, ${failed.length} failed, over ${Date.now() - killedAt} ms after the kill`);

      const after = await waitForEnsemble(tabs);
      if (leaderOn === 'survivor') {
        // No election at all: the same leader in the same epoch, and no write failed.
        expect(after.leader.seat).toBe(ensemble.leader.seat);
        expect(after.epoch).toBe(ensemble.epoch);
        expect(failed).toEqual([]);
      } else {
        // At most one election, then all five seats serve.
        expect(after.epoch).toBeLessThanOrEqual(ensemble.epoch + 1);
        note('election', after.epoch === ensemble.epoch ? `none: seat ${after.leader.seat} still leads epoch ${after.epoch}` : `one: seat ${after.leader.seat} leads epoch ${after.epoch}`);
      }
      await expectFullMesh(tabs, [1, 2, 3, 4, 5]);

      // Relay works through the survivor for the tabs that moved: a new tab (another browser) reaches all five.
      const newcomer = await Tab.open(await launchBrowser(), address(survivor));
      const status = await newcomer.waitForStatus('observes the leader with links to all five', (s) => {
        expect(s.state).toBe('OBSERVING');
        expect(s.serving).toBe(true);
        expect(s.leader).toBe(after.leader.seat);
        expect(s.peers).toEqual([1, 2, 3, 4, 5]);
      }, ELECTION_TIMEOUT_MS);
      expect(status.seat).toBe(6);
      const last = results.filter((result) => result.ok).at(-1)!;
      expect(await newcomer.readSynced(`/during-${last.index}`)).toMatchObject({ ok: true, value: { data: String(last.index) } });
    });
  }
});

test.describe('a duplicated tab (its sessionStorage, seat token included, copied)', () => {
  const { redisUrl, servers } = useRedisDeployment();

  test('cannot take its original\'s seat through another server: it gets a free seat, and the original keeps serving', async ({ profile, cluster }) => {
    const start = async (port?: number) => {
      const server = await startSignalingServer(staticDirectory(), { args: ['--redis', redisUrl()], ...(port === undefined ? {} : { port }) });
      servers.push(server);
      return server;
    };
    const home = await start();
    const other = await start();
    for (const server of [home, other]) await waitForHealth(server, 'both servers listed', (h) => h.servers.length === 2);
    const address: TabAddress = { serverUrl: home.url, cluster, size: 3 };
    const original = await Tab.open(profile, address);
    expect((await original.status()).seat).toBe(1);
    // The original's server dies: it moves to the other one. Its server comes back on the same address.
    await home.process.kill('SIGKILL');
    await waitForHealth(other, 'the original registered with the other server', (h) => h.localSeats === 1);
    const restarted = await start(Number(new URL(home.url).port));
    // The duplicate: same origin (same Web Locks), the original's sessionStorage, on the restarted server.
    type PageStorage = { readonly sessionStorage: Record<string, string> & { setItem(key: string, value: string): void } };
    const stored = await original.page.evaluate(() => JSON.stringify(Object.entries((globalThis as unknown as PageStorage).sessionStorage)));
    const page = await profile.newPage();
    await page.addInitScript((entries: string) => {
      for (const [key, value] of JSON.parse(entries) as [string, string][]) (globalThis as unknown as PageStorage).sessionStorage.setItem(key, value);
    }, stored);
    const duplicate = new Tab(page, address);
    await duplicate.goto();
    expect((await duplicate.status()).seat).toBe(2);
    // A new cluster is founded only by all N blank seats (core/seats.ts): the third seat's tab.
    const third = await Tab.open(profile, { ...address, serverUrl: other.url });
    await waitForEnsemble([original, duplicate, third]);
    expect((await duplicate.status()).seat).toBe(2);
    expect((await original.status()).seat).toBe(1);
    await waitForHealth(restarted, 'three seats held, the duplicate on the restarted server', (h) => h.seats === 3 && h.localSeats === 1);
  });
});

test.describe('a single signaling server without Redis', () => {
  const servers: SignalingServer[] = [];
  test.afterEach(async ({ profile }, testInfo) => {
    await attachLogs(testInfo, profile, servers);
    for (const server of servers.splice(0)) await server.stop();
  });

  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    test(`stopped with ${signal} and restarted: the cluster serves throughout, its tabs come back, a new tab gets no held seat`, async ({ profile, launchBrowser, cluster }) => {
      const first = await startSignalingServer(staticDirectory());
      servers.push(first);
      const address: TabAddress = { serverUrl: first.url, cluster, size: 3 };
      const tabs: Tab[] = [];
      for (let index = 0; index < 3; index++) tabs.push(await Tab.open(profile, address));
      expect(await Promise.all(tabs.map(async (tab) => (await tab.status()).seat))).toEqual([1, 2, 3]);
      const ensemble = await waitForEnsemble(tabs);
      await expectFullMesh(tabs, [1, 2, 3]);
      const writer = startWriter(ensemble.followers[0]!, 'through');
      await waitForWrites(writer, 5);

      await first.process.kill(signal);
      // The server is gone: writes go on, every seat stays in the ensemble with the same leader.
      await waitForWrites(writer, 10);
      const during = await waitForEnsemble(tabs);
      expect([during.leader.seat, during.epoch]).toEqual([ensemble.leader.seat, ensemble.epoch]);
      await expectFullMesh(tabs, [1, 2, 3]);

      const restarted = await startSignalingServer(staticDirectory(), { port: Number(new URL(first.url).port) });
      servers.push(restarted);
      const backMs = await waitForHealth(restarted, 'all three tabs registered again', (h) => h.seats === 3 && h.localSeats === 3);
      note('registered', `all three tabs registered with the restarted server ${backMs} ms after it listened`);
      await waitForWrites(writer, 5);
      const results = await writer.stop();
      expect(results.filter((result) => !result.ok)).toEqual([]);

      // A tab of another browser (no seat token, its own sessionStorage) gets the observer seat.
      const newcomer = await Tab.open(await launchBrowser(), address);
      const status = await newcomer.waitForStatus('observes the same leader with links to the three', (s) => {
        expect(s.state).toBe('OBSERVING');
        expect(s.serving).toBe(true);
        expect(s.leader).toBe(ensemble.leader.seat);
        expect(s.peers).toEqual([1, 2, 3]);
      });
      expect(status.seat).toBe(4);
      const after = await waitForEnsemble([...tabs, newcomer]);
      expect([after.leader.seat, after.epoch]).toEqual([ensemble.leader.seat, ensemble.epoch]);
      expect(await Promise.all(tabs.map(async (tab) => (await tab.status()).seat))).toEqual([1, 2, 3]);
    });
  }
});

test.describe('a word from the signaling server is a hint', () => {
  const servers: SignalingServer[] = [];
  test.afterEach(async ({ profile }, testInfo) => {
    await attachLogs(testInfo, profile, servers);
    for (const server of servers.splice(0)) await server.stop();
  });

  test('peer-left about a tab that is alive closes no DataChannel: the cluster keeps its leader and every link', async ({ profile, cluster }) => {
    const server = await startSignalingServer(staticDirectory(), { args: ['--seat-grace-ms', '0'] });
    servers.push(server);
    const address: TabAddress = { serverUrl: server.url, cluster, size: 3 };
    const tabs = [await Tab.open(profile, address), await Tab.open(profile, address)];
    // The third tab's signaling WebSocket passes through the test, which cuts it once.
    const page = await profile.newPage();
    const routes: { close: () => Promise<void> }[] = [];
    await page.routeWebSocket(/\/socket\.io\//, (route) => {
      routes.push(route.connectToServer());
    });
    const third = new Tab(page, address);
    await third.goto();
    tabs.push(third);
    expect(await Promise.all(tabs.map(async (tab) => (await tab.status()).seat))).toEqual([1, 2, 3]);
    const ensemble = await waitForEnsemble(tabs);
    await expectFullMesh(tabs, [1, 2, 3]);

    await routes[0]!.close();
    // The server saw seat 3's socket go and told the others it left; the tab came back with its token.
    await server.process.waitFor('seat 3 released', () => server.process.stderr.find((line) => line.includes('"seat released"') && line.includes('"seat":3')), 15_000);
    await waitForHealth(server, 'seat 3 registered again', (h) => h.seats === 3 && h.localSeats === 3);
    expect(routes.length, 'the third tab opened a new signaling connection').toBeGreaterThanOrEqual(2);

    await writeThrough(ensemble.leader, 'after-hint');
    const after = await waitForEnsemble(tabs);
    expect([after.leader.seat, after.epoch]).toEqual([ensemble.leader.seat, ensemble.epoch]);
    await expectFullMesh(tabs, [1, 2, 3]);
    for (const tab of tabs.slice(0, 2)) {
      const log = (await tab.logs()).join('\n');
      expect(log, `${tab.name}: its link to seat 3 was never closed`).not.toMatch(/link to 3 closed/);
    }
  });
});

async function writeThrough(tab: Tab, path: string): Promise<void> {
  expect(await tab.run({ op: 'create', path: `/${path}`, data: path, ephemeral: false, sequential: false })).toMatchObject({ ok: true });
}
