import { afterEach, describe, expect, test, vi } from 'vitest';
import { ManualClock, ServerFixture } from './testing/fixture.ts';
import { session } from './testing/sessions.ts';
import type { TestClient } from './testing/test-client.ts';

const CLI = session('cli');

// Goal (issue 9 item 6): the signaling server's memory and log stay bounded under a flood, join
// keys and session secrets cannot be guessed at thousands a second, and a refused client is told
// when to retry. Method: short, bounded floods from real sockets on loopback against a real server.
describe('bounded signaling state', () => {
  const fixture = new ServerFixture();
  afterEach(() => fixture.teardown());

  async function health(): Promise<{ rooms: number; seats: number; remembered?: number }> {
    return (await (await fetch(`${fixture.server.url}/health`)).json()) as { rooms: number; seats: number; remembered?: number };
  }

  test('empty clusters are remembered up to --max-clusters, longest-empty forgotten first; a live cluster never is', async () => {
    await fixture.start({ maxClusters: 20, failureBurst: 10_000 });
    const live = await fixture.tab({ cluster: 'live', size: 5 });
    const flooder = [];
    for (let index = 0; index < 200; index++) {
      const tab = await fixture.tab({ cluster: `flood-${index}`, size: 5 });
      tab.close();
      flooder.push(tab.disconnected());
    }
    await Promise.all(flooder);
    await vi.waitFor(async () => expect(await health()).toMatchObject({ rooms: 1, remembered: 20 }), { timeout: 10_000 });
    // The first flooded clusters were forgotten (a new tab starts them afresh at the default
    // size); the last ones are still remembered with their size; the live one keeps its tabs.
    expect(await (await fixture.client()).join({ cluster: 'flood-0' })).toMatchObject({ ok: true, size: 3 });
    expect(await (await fixture.client()).join({ cluster: 'flood-199' })).toMatchObject({ ok: true, size: 5 });
    expect(await (await fixture.client()).join({ cluster: 'live' })).toMatchObject({ ok: true, size: 5, peers: [live.seat] });
  });

  test('a flood of malformed payloads from 40 sockets writes a few log lines with counts, not one line each', async () => {
    await fixture.start();
    const sockets: TestClient[] = await Promise.all(Array.from({ length: 40 }, () => fixture.client()));
    const perSocket = 150;
    for (const socket of sockets) for (let index = 0; index < perSocket; index++) socket.emit('signal', { to: 'nobody', data: index });
    // Every refusal reaches its socket…
    await Promise.all(sockets.map((socket) => vi.waitFor(() => expect(socket.all('error-event')).toHaveLength(perSocket), { timeout: 20_000 })));
    // …and is accounted for in the log: the first of its kind in full, the rest in a summary.
    await vi.waitFor(
      () => {
        const full = fixture.logged('payload refused').length;
        const summarized = fixture.logged('refusals suppressed').reduce((sum, line) => sum + Number(line.count), 0);
        expect(full + summarized).toBe(40 * perSocket);
      },
      { timeout: 10_000 },
    );
    const warnings = fixture.logs.filter((line) => line.level === 'warn');
    expect(warnings.length).toBeLessThan(40);
    expect(fixture.logged('refusals suppressed')[0]).toMatchObject({ kinds: expect.stringMatching(/signal\/invalid=\d+/) });
  });

  test('guessing join keys through the gateway is failure-limited per connection, address and cluster, with a time to retry', async () => {
    const clock = new ManualClock();
    await fixture.start({ now: clock.now, failureBurst: 6, failuresPerMinute: 6 });
    // Creating the cluster was this address's first miss (a join that creates looks like a guess).
    await fixture.tab({ cluster: 'vault', key: 'the real key' });
    const guesser = await fixture.client();
    const replies = [];
    for (let guess = 0; guess < 8; guess++) replies.push(await guesser.gatewayConnect({ cluster: 'vault', key: `guess-${guess}`, ...CLI }));
    expect(replies.slice(0, 5).map((reply) => !reply.ok && reply.code)).toEqual(Array(5).fill('no-such-cluster'));
    expect(replies.slice(5)).toEqual(Array(3).fill({ ok: false, code: 'rate-limited', error: 'too many failed attempts; retry in 10000 ms', retryAfterMs: 10_000 }));
    // Even the right key waits now (otherwise the refusal would be an oracle), from any socket of that address…
    const another = await fixture.client();
    expect(await another.gatewayConnect({ cluster: 'vault', key: 'the real key', ...CLI })).toMatchObject({ ok: false, code: 'rate-limited' });
    // …but the real tabs are never kept out of their own cluster: joining an existing room is no miss.
    expect(await (await fixture.client()).join({ cluster: 'vault', key: 'the real key' })).toMatchObject({ ok: true, seat: 2 });
    clock.advance(10_000);
    expect(await another.gatewayConnect({ cluster: 'vault', key: 'the real key', ...CLI })).toMatchObject({ ok: true, size: 3 });
    expect(fixture.logged('rate limited').length).toBeGreaterThan(0);
  });

  test('creating clusters is failure-limited per client address: a join with a guessed key creates one, so guesses run out', async () => {
    const clock = new ManualClock();
    await fixture.start({ now: clock.now, failureBurst: 3, failuresPerMinute: 60 });
    const replies = [];
    for (let guess = 0; guess < 5; guess++) replies.push(await (await fixture.client()).join({ cluster: 'vault', key: `guess-${guess}` }));
    expect(replies.map((reply) => reply.ok || reply.code)).toEqual([true, true, true, 'rate-limited', 'rate-limited']);
    expect(replies[3]).toMatchObject({ retryAfterMs: 1_000 });
    // The refused join left nothing behind: its cluster was released at once.
    expect(await health()).toMatchObject({ rooms: 3, seats: 3 });
  });
});
