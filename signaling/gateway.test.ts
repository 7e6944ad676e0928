import { afterEach, describe, expect, test } from 'vitest';
import { ServerFixture } from './testing/fixture.ts';
import { session } from './testing/sessions.ts';

const C = session('c');
const CLI = session('cli');

type Request = { clientId: string; requestId: number; op: unknown };

// Goal: a command-line client reaches one tab of a cluster through the server: its requests go
// to that tab only, the tab's replies come back to it only, and it learns when the tab leaves.
// Method: raw sockets playing both the CLI and the tabs.
describe('gateway', () => {
  const fixture = new ServerFixture();
  afterEach(() => fixture.teardown());

  test('a request goes to the attached seat with the clientId; the reply comes back with the requestId', async () => {
    await fixture.start();
    await fixture.tab({ cluster: 'demo' });
    const two = await fixture.tab({ cluster: 'demo' });
    const cli = await fixture.client();
    expect(await cli.gatewayConnect({ cluster: 'demo', seat: 2, ...CLI })).toEqual({ ok: true, seat: 2, size: 3 });
    cli.emit('gateway-request', { requestId: 7, op: { op: 'get', path: '/a' } });
    expect(await two.next('gateway-request')).toEqual({ clientId: CLI.clientId, requestId: 7, op: { op: 'get', path: '/a' } });
    two.emit('gateway-reply', { clientId: CLI.clientId, requestId: 7, result: { ok: false, error: 'NoNode' } });
    expect(await cli.next('gateway-reply')).toEqual({ requestId: 7, result: { ok: false, error: 'NoNode' } });
  });

  test('without a forced seat the server picks a live one; the request reaches that tab only', async () => {
    await fixture.start();
    const tabs = [await fixture.tab({ cluster: 'demo' }), await fixture.tab({ cluster: 'demo' }), await fixture.tab({ cluster: 'demo' })];
    const cli = await fixture.client();
    const reply = await cli.gatewayConnect({ cluster: 'demo', ...CLI });
    if (!reply.ok) throw new Error(reply.error);
    cli.emit('gateway-request', { requestId: 1, op: 'ping' });
    const chosen = tabs.find((tab) => tab.seat === reply.seat)!;
    await chosen.next('gateway-request');
    chosen.emit('gateway-reply', { clientId: CLI.clientId, requestId: 1, result: 'pong' });
    await cli.next('gateway-reply');
    for (const tab of tabs) expect(tab.all('gateway-request')).toHaveLength(tab === chosen ? 1 : 0);
  });

  test('a tab can answer only clients attached to its own seat', async () => {
    await fixture.start();
    const one = await fixture.tab({ cluster: 'demo' });
    const two = await fixture.tab({ cluster: 'demo' });
    const cli = await fixture.client();
    await cli.gatewayConnect({ cluster: 'demo', seat: 1, ...CLI });
    two.emit('gateway-reply', { clientId: CLI.clientId, requestId: 1, result: 'forged' });
    // Barrier: the server handles a socket's events in order, so once two's next event is
    // refused, its forged reply has been handled (and, had it been relayed, sent first).
    two.emit('signal', { to: 2, data: 'barrier' });
    await two.nextError('signal');
    cli.emit('gateway-request', { requestId: 1, op: 'ping' });
    await one.next('gateway-request');
    one.emit('gateway-reply', { clientId: CLI.clientId, requestId: 1, result: 'genuine' });
    await cli.next('gateway-reply');
    expect(cli.all('gateway-reply')).toEqual([{ requestId: 1, result: 'genuine' }]);
  });

  test('when the attached tab leaves, the CLI gets gateway-lost and can attach to another seat with the same clientId', async () => {
    await fixture.start();
    const one = await fixture.tab({ cluster: 'demo' });
    const two = await fixture.tab({ cluster: 'demo' });
    const cli = await fixture.client();
    await cli.gatewayConnect({ cluster: 'demo', seat: 2, ...CLI });
    two.close();
    expect(await cli.next('gateway-lost')).toEqual({ seat: 2 });
    expect(await cli.gatewayConnect({ cluster: 'demo', ...CLI })).toEqual({ ok: true, seat: 1, size: 3 });
    cli.emit('gateway-request', { requestId: 2, op: 'again' });
    expect(await one.next<Request>('gateway-request')).toMatchObject({ clientId: CLI.clientId, requestId: 2 });
  });

  test('a forced seat nobody holds, an unknown cluster and an empty cluster are refused with their reasons', async () => {
    await fixture.start();
    await fixture.tab({ cluster: 'demo' });
    const cli = await fixture.client();
    expect(await cli.gatewayConnect({ cluster: 'demo', seat: 3, ...C })).toEqual({
      ok: false,
      code: 'no-live-seat',
      error: 'no tab holds seat 3 of cluster demo',
    });
    expect(await cli.gatewayConnect({ cluster: 'demo', seat: 999, ...C })).toMatchObject({ ok: false, code: 'seat-out-of-range' });
    expect(await cli.gatewayConnect({ cluster: 'nowhere', ...C })).toEqual({
      ok: false,
      code: 'no-such-cluster',
      error: 'no tab has joined cluster nowhere with this key',
    });
  });

  test('a request before gateway-connect is refused with its requestId', async () => {
    await fixture.start();
    const cli = await fixture.client();
    cli.emit('gateway-request', { requestId: 5, op: {} });
    expect(await cli.nextError('gateway-request')).toEqual({
      event: 'gateway-request',
      code: 'not-attached',
      reason: 'send gateway-connect first',
      requestId: 5,
    });
  });

  test('a tab socket cannot also be a gateway client, and a reply from a socket without a seat is refused', async () => {
    await fixture.start();
    const tab = await fixture.tab({ cluster: 'demo' });
    expect(await tab.gatewayConnect({ cluster: 'demo', ...C })).toMatchObject({ ok: false, code: 'already-joined' });
    const cli = await fixture.client();
    cli.emit('gateway-reply', { clientId: C.clientId, requestId: 1, result: null });
    expect(await cli.nextError('gateway-reply')).toMatchObject({ code: 'not-joined' });
  });
});
