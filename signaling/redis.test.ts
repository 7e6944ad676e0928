import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import type { SignalingServerOptions } from './server.ts';
import type { JoinReply } from '../protocol/signaling-events.ts';
import { ServerFixture } from './testing/fixture.ts';
import { session } from './testing/sessions.ts';
import { ChildProcessUnderTest } from './testing/process.ts';
import { RedisUnderTest } from './testing/redis-server.ts';
import { TestClient } from './testing/test-client.ts';

const CLI = session('cli');

type Request = { clientId: string; requestId: number; op: unknown };

// Goal: several signaling servers behind one address share seats, rooms, relay and the gateway
// through Redis, and a server that dies loses its seats. Method: a real redis-server started
// here on a free port, two real signaling servers on ephemeral ports, real sockets on each; a
// third server as a child process that the test kills with SIGKILL.
describe('scale-out with Redis', () => {
  let redis: RedisUnderTest;
  const east = new ServerFixture();
  const west = new ServerFixture();
  const children: ChildProcessUnderTest[] = [];

  beforeAll(async () => {
    redis = await RedisUnderTest.start();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  async function startBoth(options: SignalingServerOptions = {}): Promise<void> {
    await east.start({ redisUrl: redis.url, ...options });
    await west.start({ redisUrl: redis.url, ...options });
  }

  async function health(fixture: ServerFixture): Promise<Record<string, unknown>> {
    return (await (await fetch(`${fixture.server.url}/health`)).json()) as Record<string, unknown>;
  }

  async function flushRedis(): Promise<void> {
    const client = createClient({ url: redis.url });
    await client.connect();
    await client.flushAll();
    await client.close();
  }

  afterEach(async () => {
    await east.teardown();
    await west.teardown();
    for (const child of children.splice(0)) await child.stop();
  });

  test('tabs on different servers get distinct seats of one cluster and relay signals to each other', async () => {
    await startBoth();
    const one = await east.tab({ cluster: 'shared', size: 3 });
    const two = await west.tab({ cluster: 'shared' });
    const three = await east.tab({ cluster: 'shared' });
    expect([one.seat, two.seat, three.seat]).toEqual([1, 2, 3]);
    expect(await one.next('peer-joined', (event: { seat: number }) => event.seat === 2)).toEqual({ seat: 2 });
    expect(await two.next('peer-joined')).toEqual({ seat: 3 });
    one.emit('signal', { to: 2, data: { sdp: 'offer from east' } });
    expect(await two.next('signal')).toEqual({ from: 1, data: { sdp: 'offer from east' } });
    two.emit('signal', { to: 1, data: { sdp: 'answer from west' } });
    expect(await one.next('signal')).toEqual({ from: 2, data: { sdp: 'answer from west' } });
    expect(three.all('signal')).toEqual([]);
    const observer = await west.tab({ cluster: 'shared' });
    expect(observer.seat).toBe(4);
  });

  test('a seat held on one server cannot be claimed on the other; racing claims across servers grant it once', async () => {
    await startBoth();
    const holder = await east.tab({ cluster: 'contested' });
    const intruder = await west.client();
    expect(await intruder.join({ cluster: 'contested', seat: holder.seat })).toMatchObject({ ok: false, code: 'seat-taken' });
    const racers = await Promise.all(Array.from({ length: 8 }, (_, index) => (index % 2 === 0 ? east : west).client()));
    const replies: JoinReply[] = await Promise.all(racers.map((racer) => racer.join({ cluster: 'contested', seat: 2 })));
    expect(replies.filter((reply) => reply.ok)).toHaveLength(1);
  });

  test('the cluster size and join key hold across servers', async () => {
    await startBoth();
    await east.tab({ cluster: 'keyed', size: 5, key: 'k' });
    // Another key (or none) is another room: an empty cluster of its own, never the keyed one.
    expect(await (await west.client()).join({ cluster: 'keyed' })).toMatchObject({ ok: true, seat: 1, size: 3, peers: [] });
    expect(await (await west.client()).join({ cluster: 'keyed', key: 'k', size: 3 })).toMatchObject({ ok: false, code: 'size-mismatch' });
    expect(await (await west.client()).join({ cluster: 'keyed', key: 'k' })).toMatchObject({ ok: true, seat: 2, size: 5, peers: [1] });
  });

  test('at most maxClusters clusters are remembered; the longest-empty is forgotten first, a live one never', async () => {
    await flushRedis();
    await startBoth({ maxClusters: 3 });
    const live = await east.tab({ cluster: 'live' });
    for (const name of ['gone-1', 'gone-2', 'gone-3', 'gone-4']) {
      const tab = await west.tab({ cluster: name, size: 5 });
      tab.close();
      await tab.disconnected();
    }
    await vi.waitFor(async () => expect(await health(east)).toMatchObject({ remembered: 3, rooms: 1 }), { timeout: 5_000 });
    // gone-4 was emptied last and is remembered with its size; gone-1 was forgotten.
    expect(await (await east.client()).join({ cluster: 'gone-4' })).toMatchObject({ ok: true, size: 5 });
    expect(await (await east.client()).join({ cluster: 'live' })).toMatchObject({ ok: true, peers: [live.seat] });
  });

  test('peer-left reaches tabs on the other server; the freed seat can be reclaimed there', async () => {
    await startBoth();
    const one = await east.tab({ cluster: 'leaving' });
    const two = await west.tab({ cluster: 'leaving' });
    two.close();
    expect(await one.next('peer-left')).toEqual({ seat: 2 });
    const back = await east.tab({ cluster: 'leaving', seat: 2 });
    expect(back.seat).toBe(2);
  });

  test('the gateway works across servers: a CLI on one server reaches a tab on the other, and hears when it leaves', async () => {
    await startBoth();
    await east.tab({ cluster: 'gw' });
    const tab = await west.tab({ cluster: 'gw' });
    const cli = await east.client();
    expect(await cli.gatewayConnect({ cluster: 'gw', seat: tab.seat, ...CLI })).toEqual({ ok: true, seat: 2, size: 3 });
    cli.emit('gateway-request', { requestId: 1, op: { op: 'get', path: '/' } });
    const request = await tab.next<Request>('gateway-request');
    expect(request).toEqual({ clientId: CLI.clientId, requestId: 1, op: { op: 'get', path: '/' } });
    tab.emit('gateway-reply', { clientId: CLI.clientId, requestId: 1, result: { ok: true, value: 'across' } });
    expect(await cli.next('gateway-reply')).toEqual({ requestId: 1, result: { ok: true, value: 'across' } });
    tab.close();
    expect(await cli.next('gateway-lost')).toEqual({ seat: 2 });
  });

  test('/health on either server counts the rooms and seats of both', async () => {
    await startBoth();
    await east.tab({ cluster: 'counted-a' });
    await west.tab({ cluster: 'counted-a' });
    await west.tab({ cluster: 'counted-b' });
    for (const fixture of [east, west]) {
      const health = (await (await fetch(`${fixture.server.url}/health`)).json()) as { rooms: number; seats: number; redis: boolean };
      expect(health.redis).toBe(true);
      // Every earlier test's tabs have left (teardown), so these are the only live ones.
      expect(health).toMatchObject({ rooms: 2, seats: 3 });
    }
  });

  test('a server killed without warning loses its seats after the liveness TTL, and the other server tells its tabs', async () => {
    await east.start({ redisUrl: redis.url, redisLivenessMs: 600 });
    const doomed = ChildProcessUnderTest.start('signaling/main.ts', [
      '--host', '127.0.0.1', '--port', '0', '--redis', redis.url, '--redis-liveness-ms', '600',
    ]);
    children.push(doomed);
    const url = /url=(\S+)/.exec(await doomed.waitForLine(/listening/))![1]!;
    const survivor = await east.tab({ cluster: 'crash' });
    const victim = await TestClient.connect(url);
    expect(await victim.join({ cluster: 'crash' })).toMatchObject({ ok: true, seat: 2 });
    await survivor.next('peer-joined');
    await doomed.stop('SIGKILL');
    expect(await survivor.next('peer-left', () => true, 10_000)).toEqual({ seat: 2 });
    expect(await (await east.client()).join({ cluster: 'crash', seat: 2 })).toMatchObject({ ok: true, seat: 2 });
    victim.close();
  });

  test('when Redis goes away, joins are refused as unavailable and /health says degraded; the server stays up', async () => {
    const ownRedis = await RedisUnderTest.start();
    try {
      await east.start({ redisUrl: ownRedis.url });
      const tab = await east.tab({ cluster: 'outage' });
      await ownRedis.stop();
      const late = await east.client();
      expect(await late.join({ cluster: 'outage' })).toMatchObject({ ok: false, code: 'unavailable' });
      const health = await fetch(`${east.server.url}/health`);
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({ status: 'degraded' });
      expect(tab.socket.connected).toBe(true);
    } finally {
      await ownRedis.stop();
    }
  });
});
