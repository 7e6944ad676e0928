import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { LIMITS, MAX_MESSAGE_BYTES } from '../protocol/signaling-events.ts';
import { ServerFixture } from './testing/fixture.ts';
import type { TestClient } from './testing/test-client.ts';

// Goal: every kind of malformed payload is refused with an `error-event` naming the event and
// the problem, is logged, and disturbs nobody else. Method: one server for the whole file; a
// healthy pair of tabs in another room exchanges a signal after every bad payload.

function nested(depth: number): unknown {
  let value: unknown = 'bottom';
  for (let index = 0; index < depth; index++) value = [value];
  return value;
}

const longName = 'x'.repeat(LIMITS.clusterNameLength + 1);
const bigString = 'y'.repeat(LIMITS.signalJsonLength + 10);

/** [what, event, args the client sends (an ack is added for join/gateway-connect), expected code, reason pattern] */
const CASES: [string, string, unknown[], string, RegExp][] = [
  ['join: payload is a string', 'join', ['demo'], 'invalid', /Expected Object/],
  ['join: payload is null', 'join', [null], 'invalid', /Expected Object/],
  ['join: cluster missing', 'join', [{}], 'invalid', /^cluster: /],
  ['join: cluster of the wrong type', 'join', [{ cluster: 42 }], 'invalid', /^cluster: .*Expected string/],
  ['join: cluster with a space', 'join', [{ cluster: 'a b' }], 'invalid', /cluster name may hold only/],
  ['join: cluster name too long', 'join', [{ cluster: longName }], 'invalid', /longer than 64/],
  ['join: size 0', 'join', [{ cluster: 'bad', size: 0 }], 'invalid', /^size: size must be at least 1/],
  ['join: size 16', 'join', [{ cluster: 'bad', size: 16 }], 'invalid', /size must be at most 15/],
  ['join: fractional size', 'join', [{ cluster: 'bad', size: 2.5 }], 'invalid', /size must be an integer/],
  ['join: seat 0', 'join', [{ cluster: 'bad', seat: 0 }], 'invalid', /seat must be at least 1/],
  ['join: seat beyond any cluster', 'join', [{ cluster: 'bad', seat: LIMITS.seat + 1 }], 'invalid', /seat must be at most/],
  ['join: seat as text', 'join', [{ cluster: 'bad', seat: 'two' }], 'invalid', /^seat: /],
  ['join: seat beyond this cluster', 'join', [{ cluster: 'healthy', seat: 3 + 32 + 1 }], 'seat-out-of-range', /observers 4\.\.35/],
  ['join: key too long', 'join', [{ cluster: 'bad', key: 'k'.repeat(LIMITS.keyLength + 1) }], 'invalid', /key is longer/],
  ['join: unknown field', 'join', [{ cluster: 'bad', admin: true }], 'invalid', /admin/],
  ['signal: before join, payload missing', 'signal', [], 'invalid', /Expected Object/],
  ['signal: to missing', 'signal', [{ data: 1 }], 'invalid', /^to: /],
  ['signal: to as text', 'signal', [{ to: 'one', data: 1 }], 'invalid', /^to: /],
  ['signal: oversized data', 'signal', [{ to: 1, data: bigString }], 'invalid', /too large/],
  ['signal: data nested too deep', 'signal', [{ to: 1, data: nested(LIMITS.jsonDepth + 5) }], 'invalid', /nested deeper than 32/],
  ['signal: binary data', 'signal', [{ to: 1, data: Buffer.from('raw') }], 'invalid', /not JSON/],
  ['gateway-connect: clientId missing', 'gateway-connect', [{ cluster: 'healthy' }], 'invalid', /^clientId: /],
  ['gateway-connect: clientId with a space', 'gateway-connect', [{ cluster: 'healthy', clientId: 'a b' }], 'invalid', /clientId may hold only/],
  ['gateway-request: negative requestId', 'gateway-request', [{ requestId: -1, op: {} }], 'invalid', /requestId must not be negative/],
  ['gateway-request: op missing', 'gateway-request', [{ requestId: 1 }], 'invalid', /^op: /],
  ['gateway-request: oversized op', 'gateway-request', [{ requestId: 1, op: { data: 'z'.repeat(LIMITS.gatewayOpJsonLength) } }], 'invalid', /too large/],
  ['gateway-reply: requestId as text', 'gateway-reply', [{ clientId: 'c', requestId: 'x', result: null }], 'invalid', /^requestId: /],
  ['unknown event', 'hello', [{ any: 'thing' }], 'unknown-event', /unknown event 'hello'/],
  ['unknown event named like a property', '__proto__', [{}], 'unknown-event', /unknown event/],
];

const ACKED = new Set(['join', 'gateway-connect']);

describe('malformed payloads', () => {
  const fixture = new ServerFixture();
  let healthyOne: TestClient;
  let healthyTwo: TestClient;
  let exchanged = 0;

  beforeAll(async () => {
    await fixture.start();
    healthyOne = await fixture.tab({ cluster: 'healthy' });
    healthyTwo = await fixture.tab({ cluster: 'healthy' });
  });
  afterAll(() => fixture.teardown());

  /** The other room still works: a signal goes through and nothing unexpected arrived. */
  async function expectOthersServed(): Promise<void> {
    exchanged += 1;
    healthyOne.emit('signal', { to: 2, data: exchanged });
    await healthyTwo.next('signal', (event: { data: number }) => event.data === exchanged);
    expect(healthyTwo.all('error-event')).toEqual([]);
    expect(healthyOne.all('error-event')).toEqual([]);
  }

  test.each(CASES)('%s is refused with error-event', async (_what, event, args, code, reason) => {
    const client = await fixture.client();
    if (ACKED.has(event)) {
      const reply = await client.socket.timeout(5_000).emitWithAck(event, ...args);
      expect(reply).toMatchObject({ ok: false, code });
    } else {
      client.emit(event, ...args);
    }
    const error = await client.nextError(event);
    expect(error.code).toBe(code);
    expect(error.reason).toMatch(reason);
    expect(client.socket.connected).toBe(true);
    await expectOthersServed();
  });

  test('a join without an acknowledgement callback gets error-event and no seat', async () => {
    const client = await fixture.client();
    client.emit('join', { cluster: 'healthy' });
    expect(await client.nextError('join')).toMatchObject({ code: 'invalid', reason: 'join needs an acknowledgement callback' });
    await expectOthersServed();
    expect(healthyOne.all('peer-joined')).toEqual([{ seat: 2 }]);
  });

  test('a reply from a seated tab with an oversized result is refused', async () => {
    const tab = await fixture.tab({ cluster: 'replies' });
    tab.emit('gateway-reply', { clientId: 'c', requestId: 1, result: 'r'.repeat(LIMITS.gatewayResultJsonLength) });
    expect(await tab.nextError('gateway-reply')).toMatchObject({ code: 'invalid', reason: expect.stringMatching(/too large/) });
    await expectOthersServed();
  });

  test('refused payloads are logged with the socket, event and reason: the first of each kind in full, the rest counted', async () => {
    const refused = fixture.logged('payload refused');
    expect(refused).toContainEqual(expect.objectContaining({ level: 'warn', event: 'signal', code: 'invalid', socket: expect.any(String) }));
    await vi.waitFor(
      () => {
        const summarized = fixture.logged('refusals suppressed').reduce((sum, line) => sum + Number(line.count), 0);
        expect(fixture.logged('payload refused').length + summarized).toBeGreaterThanOrEqual(CASES.length - 1);
      },
      { timeout: 5_000 },
    );
  });

  test('a message beyond the transport limit closes only that socket', async () => {
    const client = await fixture.client();
    client.emit('signal', { to: 1, data: 'w'.repeat(MAX_MESSAGE_BYTES + 1) });
    await client.disconnected();
    await expectOthersServed();
  });
});
