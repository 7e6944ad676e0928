import { afterEach, describe, expect, test } from 'vitest';
import { ServerFixture } from './testing/fixture.ts';

// Goal: a cluster created with a join key admits only sockets that present it, to a seat and to
// the gateway (and so to relay, which needs a seat). Method: real sockets against a real server.
describe('join key', () => {
  const fixture = new ServerFixture();
  afterEach(() => fixture.teardown());

  test('the creator sets the key; the same key joins, no key or a wrong key is refused', async () => {
    await fixture.start();
    await fixture.tab({ cluster: 'secret', key: 'open sesame' });
    expect(await (await fixture.client()).join({ cluster: 'secret', key: 'open sesame' })).toMatchObject({ ok: true, seat: 2 });
    const keyless = await fixture.client();
    expect(await keyless.join({ cluster: 'secret' })).toEqual({ ok: false, code: 'wrong-key', error: 'cluster secret needs a join key' });
    expect(await keyless.nextError('join')).toMatchObject({ code: 'wrong-key' });
    expect(await (await fixture.client()).join({ cluster: 'secret', key: 'guess' })).toEqual({
      ok: false,
      code: 'wrong-key',
      error: 'wrong join key for cluster secret',
    });
  });

  test('a cluster created without a key refuses a socket that presents one (it would think itself protected)', async () => {
    await fixture.start();
    await fixture.tab({ cluster: 'open' });
    expect(await (await fixture.client()).join({ cluster: 'open', key: 'k' })).toMatchObject({ ok: false, code: 'wrong-key' });
  });

  test('a refused socket cannot relay: it holds no seat', async () => {
    await fixture.start();
    await fixture.tab({ cluster: 'secret', key: 'k' });
    const outsider = await fixture.client();
    await outsider.join({ cluster: 'secret' });
    outsider.emit('signal', { to: 1, data: 'let me in' });
    expect(await outsider.nextError('signal')).toMatchObject({ code: 'not-joined' });
  });

  test('the gateway needs the key too', async () => {
    await fixture.start();
    await fixture.tab({ cluster: 'secret', key: 'k' });
    const cli = await fixture.client();
    expect(await cli.gatewayConnect({ cluster: 'secret', clientId: 'c1' })).toEqual({
      ok: false,
      code: 'wrong-key',
      error: 'cluster secret needs a join key',
    });
    expect(await cli.nextError('gateway-connect')).toMatchObject({ code: 'wrong-key' });
    expect(await cli.gatewayConnect({ cluster: 'secret', key: 'nope', clientId: 'c1' })).toMatchObject({ ok: false, code: 'wrong-key' });
    expect(await cli.gatewayConnect({ cluster: 'secret', key: 'k', clientId: 'c1' })).toEqual({ ok: true, seat: 1, size: 3 });
  });

  test('the key is never logged', async () => {
    await fixture.start();
    await fixture.tab({ cluster: 'secret', key: 'hunter2' });
    await (await fixture.client()).join({ cluster: 'secret', key: 'wrong-hunter3' });
    expect(JSON.stringify(fixture.logs)).not.toMatch(/hunter/);
  });
});
