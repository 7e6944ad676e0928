import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { JoinReply } from '../protocol/signaling-events.ts';
import { ManualClock, ServerFixture } from './testing/fixture.ts';
import { ChildProcessUnderTest } from './testing/process.ts';
import { RedisUnderTest } from './testing/redis-server.ts';
import { TestClient } from './testing/test-client.ts';

type Accepted = Extract<JoinReply, { ok: true }>;

function accepted(reply: JoinReply): Accepted {
  if (!reply.ok) throw new Error(`join refused: ${reply.code}: ${reply.error}`);
  return reply;
}

// Goal: a signaling server that dies or restarts costs no tab its seat, and never gives a held
// seat to another tab: the seat token proves a tab's ownership when it comes back through
// another server; a restarted memory-mode server grants only reclaims during its grace period;
// Redis mode keeps a gone server's seats reserved for their tokens; servers publish their URLs
// to each other and to their tabs. Method: real servers on ephemeral ports (some as child
// processes killed with SIGKILL), real sockets, a real redis-server, a hand-moved clock.
describe('memory mode: the grace period after start', () => {
  const fixture = new ServerFixture();
  afterEach(() => fixture.teardown());

  test('during the grace only reclaims (a named seat with its token) are granted; then the lowest seat nobody reclaimed', async () => {
    const clock = new ManualClock();
    await fixture.start({ now: clock.now, seatGraceMs: 10_000 });
    const fresh = await fixture.client();
    const waiting = await fresh.join({ cluster: 'restarted', size: 3 });
    expect(waiting).toMatchObject({ ok: false, code: 'unavailable' });
    expect(waiting.ok ? '' : waiting.error).toMatch(/retry shortly/);
    // Naming a seat is not enough: only the token says it is the seat's own tab.
    expect(await (await fixture.client()).join({ cluster: 'restarted', size: 3, seat: 1 })).toMatchObject({ ok: false, code: 'unavailable' });
    const token = 'a'.repeat(32);
    const back = accepted(await (await fixture.client()).join({ cluster: 'restarted', size: 3, seat: 1, token }));
    expect(back).toMatchObject({ seat: 1, size: 3, token });
    clock.advance(10_000);
    expect(await fresh.join({ cluster: 'restarted' })).toMatchObject({ ok: true, seat: 2, size: 3, peers: [1] });
  });

  test('a token does not take a seat from a live socket of the same server (a duplicated tab gets another seat)', async () => {
    await fixture.start();
    const holder = accepted(await (await fixture.client()).join({ cluster: 'dup' }));
    const duplicate = await fixture.client();
    expect(await duplicate.join({ cluster: 'dup', seat: holder.seat, token: holder.token })).toMatchObject({ ok: false, code: 'seat-taken' });
  });

  test('a graceful shutdown releases no seat, and a restarted server on the same port gives each tab its seat back first', async () => {
    const first = ChildProcessUnderTest.start('signaling/main.ts', ['--host', '127.0.0.1', '--port', '0', '--seat-grace-ms', '20000']);
    let restarted: ChildProcessUnderTest | null = null;
    try {
      const url = /url=(\S+)/.exec(await first.waitForLine(/listening/))![1]!;
      // The fresh server holds every claim during its own grace too: reclaim-style joins create the cluster.
      const one = await TestClient.connect(url);
      const two = await TestClient.connect(url);
      const seatOne = accepted(await one.join({ cluster: 'graceful', size: 3, seat: 1, token: 'one'.repeat(8) }));
      const seatTwo = accepted(await two.join({ cluster: 'graceful', size: 3, seat: 2, token: 'two'.repeat(8) }));
      first.child.kill('SIGTERM');
      await one.disconnected();
      expect(await first.exited).toEqual({ code: 0, signal: null });
      expect(first.lines.join('\n')).not.toMatch(/seat released/);
      expect(one.all('peer-left')).toEqual([]);
      restarted = ChildProcessUnderTest.start('signaling/main.ts', ['--host', '127.0.0.1', '--port', new URL(url).port, '--seat-grace-ms', '20000']);
      await restarted.waitForLine(/listening/);
      const newcomer = await TestClient.connect(url);
      expect(await newcomer.join({ cluster: 'graceful' })).toMatchObject({ ok: false, code: 'unavailable' });
      const oneBack = await TestClient.connect(url);
      const twoBack = await TestClient.connect(url);
      expect(await oneBack.join({ cluster: 'graceful', size: 3, seat: 1, token: seatOne.token })).toMatchObject({ ok: true, seat: 1 });
      expect(await twoBack.join({ cluster: 'graceful', size: 3, seat: 2, token: seatTwo.token })).toMatchObject({ ok: true, seat: 2, peers: [1] });
      for (const client of [one, two, newcomer, oneBack, twoBack]) client.close();
    } finally {
      await first.stop();
      await restarted?.stop();
    }
  });
});

describe('Redis mode: seat tokens, reserved seats and the server directory', () => {
  let redis: RedisUnderTest;
  const east = new ServerFixture();
  const west = new ServerFixture();
  const children: ChildProcessUnderTest[] = [];
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    redis = await RedisUnderTest.start();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  afterEach(async () => {
    await east.teardown();
    await west.teardown();
    for (const child of children.splice(0)) await child.stop();
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  async function startChild(args: string[], redisUrl = redis.url): Promise<{ child: ChildProcessUnderTest; url: string }> {
    const child = ChildProcessUnderTest.start('signaling/main.ts', ['--host', '127.0.0.1', '--port', '0', '--redis', redisUrl, ...args]);
    children.push(child);
    const url = /url=(\S+)/.exec(await child.waitForLine(/listening/))![1]!;
    return { child, url };
  }

  test('a tab whose server was killed reclaims its seat through another server at once with its token, and only with it', async () => {
    await east.start({ redisUrl: redis.url });
    const { child, url } = await startChild([]);
    const stayer = await east.tab({ cluster: 'moved' });
    const mover = await TestClient.connect(url);
    const held = accepted(await mover.join({ cluster: 'moved' }));
    expect(held.seat).toBe(2);
    await child.stop('SIGKILL');
    // The dead server's liveness mark lives on for 15 s: without the token the seat still looks held.
    expect(await (await east.client()).join({ cluster: 'moved', seat: 2 })).toMatchObject({ ok: false, code: 'seat-taken' });
    expect(await (await east.client()).join({ cluster: 'moved', seat: 2, token: 'f'.repeat(32) })).toMatchObject({ ok: false, code: 'seat-taken' });
    const back = await east.client();
    expect(await back.join({ cluster: 'moved', seat: 2, token: held.token })).toMatchObject({ ok: true, seat: 2, peers: [1], token: held.token });
    expect(await stayer.next('peer-joined')).toEqual({ seat: 2 });
    // Relay reaches the tab at its new server.
    stayer.emit('signal', { to: 2, data: 'found you' });
    expect(await back.next('signal')).toEqual({ from: 1, data: 'found you' });
    expect(((await (await fetch(`${east.server.url}/health`)).json()) as { localSeats: number }).localSeats).toBe(2);
    mover.close();
  });

  test('a gracefully stopped server\'s seats stay reserved for their tokens, then are freed after the grace', async () => {
    const clock = new ManualClock(Date.now());
    await east.start({ redisUrl: redis.url, now: clock.now, seatGraceMs: 5_000, redisLivenessMs: 1_000 });
    await west.start({ redisUrl: redis.url, now: clock.now, seatGraceMs: 5_000, redisLivenessMs: 1_000 });
    const stayer = await east.tab({ cluster: 'graceful' });
    const leaver = await west.client();
    const held = accepted(await leaver.join({ cluster: 'graceful' }));
    await stayer.next('peer-joined');
    await west.server.close();
    await leaver.disconnected();
    // Nothing was released: the seat is reserved, the lowest free seat for a newcomer is 3.
    expect(await (await east.client()).join({ cluster: 'graceful' })).toMatchObject({ ok: true, seat: 3 });
    expect(await (await east.client()).join({ cluster: 'graceful', seat: 2 })).toMatchObject({ ok: false, code: 'seat-taken' });
    // After the grace (counted from when a sweep found the holder gone) the seat is freed and its room told.
    await expect.poll(() => redisValue(`tabkeeper:seats:graceful`, '2'), { timeout: 5_000 }).toMatch(/^~orphan /);
    clock.advance(5_000);
    expect(await stayer.next('peer-left', () => true, 5_000)).toEqual({ seat: 2 });
    expect(await (await east.client()).join({ cluster: 'graceful', seat: 2, token: held.token })).toMatchObject({ ok: true, seat: 2 });
  });

  test('the reserved seat goes back to its tab within the grace, and nobody hears peer-left', async () => {
    await east.start({ redisUrl: redis.url, seatGraceMs: 60_000, redisLivenessMs: 1_000 });
    await west.start({ redisUrl: redis.url, seatGraceMs: 60_000, redisLivenessMs: 1_000 });
    const stayer = await east.tab({ cluster: 'within' });
    const leaver = await west.client();
    const held = accepted(await leaver.join({ cluster: 'within' }));
    await west.server.close();
    await expect.poll(() => redisValue(`tabkeeper:seats:within`, '2'), { timeout: 5_000 }).toMatch(/^~orphan /);
    const back = await east.client();
    expect(await back.join({ cluster: 'within', seat: 2, token: held.token })).toMatchObject({ ok: true, seat: 2 });
    expect(await stayer.next('peer-joined', (event: { seat: number }) => event.seat === 2)).toEqual({ seat: 2 });
    expect(stayer.all('peer-left')).toEqual([]);
  });

  test('seat tokens are kept only as hashes in Redis', async () => {
    await east.start({ redisUrl: redis.url });
    const held = accepted(await (await east.client()).join({ cluster: 'hashed' }));
    const client = createClient({ url: redis.url, RESP: 2 });
    await client.connect();
    try {
      const keys = await client.keys('tabkeeper:*hashed*');
      for (const key of keys) {
        const type = await client.type(key);
        const values = type === 'hash' ? Object.values(await client.hGetAll(key)) : [];
        expect(values.join(' ')).not.toContain(held.token);
      }
      expect(await client.hGet('tabkeeper:tokens:hashed', String(held.seat))).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      await client.close();
    }
  });

  test('servers publish their URLs through Redis: a tab learns of a server that starts, and of one that dies', async () => {
    // A Redis of its own: servers of earlier tests (one killed) are still listed in the shared one for their TTL.
    const own = await RedisUnderTest.start();
    cleanups.push(() => own.stop());
    await east.start({ redisUrl: own.url, redisLivenessMs: 600, signalingUrls: ['http://signaling.example:8080'] });
    const tab = await east.client();
    const first = accepted(await tab.join({ cluster: 'directory' }));
    expect(first.servers).toEqual(['http://signaling.example:8080', east.server.url]);
    const { child, url } = await startChild(['--redis-liveness-ms', '600', '--public-url', 'http://127.0.0.1:1'], own.url);
    const grown = await tab.next<{ urls: string[] }>('signaling-servers', (event) => event.urls.length === 3, 5_000);
    expect(grown.urls).toEqual(['http://signaling.example:8080', ...[east.server.url, 'http://127.0.0.1:1'].sort()]);
    const health = (await (await fetch(`${url}/health`)).json()) as { servers: string[] };
    expect(health.servers).toEqual([east.server.url, 'http://127.0.0.1:1'].sort());
    await child.stop('SIGKILL');
    const shrunk = await tab.next<{ urls: string[] }>('signaling-servers', (event) => event.urls.length === 2, 5_000);
    expect(shrunk.urls).toEqual(['http://signaling.example:8080', east.server.url]);
  });

  test('a server that starts or stops gracefully is known to the others at once, whatever their refresh period', async () => {
    const own = await RedisUnderTest.start();
    cleanups.push(() => own.stop());
    await east.start({ redisUrl: own.url, redisLivenessMs: 3_600_000 });
    const tab = await east.client();
    expect(accepted(await tab.join({ cluster: 'told' })).servers).toEqual([east.server.url]);
    await west.start({ redisUrl: own.url, redisLivenessMs: 3_600_000 });
    expect((await tab.next<{ urls: string[] }>('signaling-servers', () => true, 2_000)).urls).toEqual([east.server.url, west.server.url].sort());
    await west.server.close();
    expect((await tab.next<{ urls: string[] }>('signaling-servers', () => true, 2_000)).urls).toEqual([east.server.url]);
  });

  async function redisValue(key: string, field: string): Promise<string | null> {
    const client = createClient({ url: redis.url, RESP: 2 });
    await client.connect();
    try {
      return (await client.hGet(key, field)) ?? null;
    } finally {
      await client.close();
    }
  }
});
