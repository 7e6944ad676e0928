import { afterEach, describe, expect, test } from 'vitest';
import { TokenBucket } from './rate-limit.ts';
import { ManualClock, ServerFixture } from './testing/fixture.ts';
import { session } from './testing/sessions.ts';
import type { ErrorEvent } from '../protocol/signaling-events.ts';

const C = session('c');

describe('TokenBucket', () => {
  test('allows a burst of its capacity, then refills at its rate, never above capacity', () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({ capacity: 3, refillPerSecond: 2 }, clock.now);
    expect([bucket.maybeTake(), bucket.maybeTake(), bucket.maybeTake(), bucket.maybeTake()]).toEqual([true, true, true, false]);
    expect(bucket.waitMs()).toBe(500);
    clock.advance(500);
    expect([bucket.maybeTake(), bucket.maybeTake()]).toEqual([true, false]);
    clock.advance(60_000);
    expect([bucket.maybeTake(3), bucket.maybeTake()]).toEqual([true, false]);
  });

  test('a cost larger than what is left takes nothing', () => {
    const bucket = new TokenBucket({ capacity: 10, refillPerSecond: 1 }, () => 0);
    expect(bucket.maybeTake(11)).toBe(false);
    expect(bucket.maybeTake(10)).toBe(true);
  });
});

// Goal: a socket that bursts beyond its bucket is refused with error-event (rate-limited, with
// when to retry) and later traffic passes. Method: a server on a hand-moved clock, so "later"
// needs no sleeping.
describe('per-socket rate limits', () => {
  const fixture = new ServerFixture();
  afterEach(() => fixture.teardown());

  test('a burst beyond the bucket is refused; after refill, traffic passes again', async () => {
    const clock = new ManualClock();
    await fixture.start({ now: clock.now, rateLimitBurst: 10, rateLimitPerSecond: 2 });
    const sender = await fixture.tab({ cluster: 'demo' }); // the join took one token: 9 left
    const receiver = await fixture.tab({ cluster: 'demo' });
    for (let index = 0; index < 12; index++) sender.emit('signal', { to: 2, data: index });
    const refused = await sender.next<ErrorEvent>('error-event', (event) => event.code === 'rate-limited');
    expect(refused).toMatchObject({ event: 'signal', code: 'rate-limited', retryAfterMs: 500 });
    await sender.next('error-event', () => sender.all('error-event').length === 3);
    await receiver.next('signal', (event: { data: number }) => event.data === 8);
    clock.advance(1_000); // two tokens
    sender.emit('signal', { to: 2, data: 'after' });
    expect(await receiver.next('signal', (event: { data: unknown }) => event.data === 'after')).toEqual({ from: 1, data: 'after' });
    expect(receiver.all('signal')).toHaveLength(10);
    expect(fixture.logged('rate limited').length).toBeGreaterThanOrEqual(1);
  });

  test('one socket being limited does not limit another', async () => {
    const clock = new ManualClock();
    await fixture.start({ now: clock.now, rateLimitBurst: 3, rateLimitPerSecond: 1 });
    const noisy = await fixture.tab({ cluster: 'demo' });
    const quiet = await fixture.tab({ cluster: 'demo' });
    for (let index = 0; index < 5; index++) noisy.emit('signal', { to: 2, data: index });
    await noisy.nextError('signal');
    quiet.emit('signal', { to: 1, data: 'fine' });
    expect(await noisy.next('signal')).toEqual({ from: 2, data: 'fine' });
  });

  test('a rate-limited gateway request is named by its requestId, so the client can send it again', async () => {
    const clock = new ManualClock();
    await fixture.start({ now: clock.now, rateLimitBurst: 2, rateLimitPerSecond: 1 });
    await fixture.tab({ cluster: 'demo' });
    const cli = await fixture.client();
    await cli.gatewayConnect({ cluster: 'demo', ...C });
    cli.emit('gateway-request', { requestId: 1, op: 'a' });
    cli.emit('gateway-request', { requestId: 2, op: 'b' });
    expect(await cli.nextError('gateway-request')).toMatchObject({ code: 'rate-limited', requestId: 2, retryAfterMs: 1000 });
  });

  test('relayed characters are limited too: a flood of large signals is refused', async () => {
    const clock = new ManualClock();
    await fixture.start({ now: clock.now });
    const sender = await fixture.tab({ cluster: 'demo' });
    await fixture.tab({ cluster: 'demo' });
    const large = 'q'.repeat(60_000);
    for (let index = 0; index < 40; index++) sender.emit('signal', { to: 2, data: large });
    const refused = await sender.next<ErrorEvent>('error-event', (event) => event.code === 'rate-limited');
    expect(refused.reason).toMatch(/too many characters relayed/);
  });
});
