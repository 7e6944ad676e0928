import { afterEach, describe, expect, test } from 'vitest';
import { ServerFixture } from './testing/fixture.ts';
import { session } from './testing/sessions.ts';

const CLI = session('cli');

// Goal: a join key namespaces a cluster. Sockets with the key share its room (seats, relay,
// gateway); a socket with another key or none gets an empty cluster of its own and learns
// nothing about the keyed one, whichever of them came first, before or after a restart.
// Method: real sockets against a real server.
describe('join key', () => {
  const fixture = new ServerFixture();
  afterEach(() => fixture.teardown());

  test('the same key joins the cluster; no key or a wrong key lands in an empty cluster of its own', async () => {
    await fixture.start();
    const first = await fixture.tab({ cluster: 'secret', key: 'open sesame' });
    expect(await (await fixture.client()).join({ cluster: 'secret', key: 'open sesame' })).toMatchObject({ ok: true, seat: 2, peers: [1] });
    const keyless = await fixture.tab({ cluster: 'secret' });
    const guesser = await fixture.tab({ cluster: 'secret', key: 'guess' });
    expect([keyless.seat, guesser.seat]).toEqual([1, 1]);
    expect(keyless.all('peer-joined')).toEqual([]);
    // The real tabs never hear of them.
    await fixture.tab({ cluster: 'secret', key: 'open sesame' });
    expect(await first.next('peer-joined', (event: { seat: number }) => event.seat === 3)).toEqual({ seat: 3 });
    expect(first.all('peer-joined')).toEqual([{ seat: 2 }, { seat: 3 }]);
  });

  test('an outsider in another room cannot relay to the keyed cluster\'s seats', async () => {
    await fixture.start();
    const one = await fixture.tab({ cluster: 'secret', key: 'k' });
    await fixture.tab({ cluster: 'secret', key: 'k' });
    const outsider = await fixture.tab({ cluster: 'secret', key: 'not-k' });
    outsider.emit('signal', { to: 2, data: 'let me in' });
    expect(await outsider.nextError('signal')).toMatchObject({ code: 'no-such-seat', reason: 'no tab holds seat 2 of cluster secret' });
    outsider.emit('signal', { to: 1, data: 'let me in' });
    await outsider.nextError('signal').catch(() => null);
    expect(one.all('signal')).toEqual([]);
  });

  test('the gateway needs the key; a wrong key gets the same answer as a cluster nobody created', async () => {
    await fixture.start();
    await fixture.tab({ cluster: 'secret', key: 'k' });
    const cli = await fixture.client();
    const nowhere = await cli.gatewayConnect({ cluster: 'nowhere', key: 'k', ...CLI });
    const wrongKey = await cli.gatewayConnect({ cluster: 'secret', key: 'nope', ...CLI });
    expect(nowhere).toMatchObject({ ok: false, code: 'no-such-cluster' });
    expect(wrongKey).toEqual({ ...nowhere, error: (nowhere as { error: string }).error.replace('nowhere', 'secret') });
    expect(await cli.gatewayConnect({ cluster: 'secret', ...CLI })).toMatchObject({ ok: false, code: 'no-such-cluster' });
    expect(await cli.gatewayConnect({ cluster: 'secret', key: 'k', ...CLI })).toEqual({ ok: true, seat: 1, size: 3 });
  });

  test('the key is never logged', async () => {
    await fixture.start();
    await fixture.tab({ cluster: 'secret', key: 'hunter2' });
    await (await fixture.client()).join({ cluster: 'secret', key: 'wrong-hunter3' });
    expect(JSON.stringify(fixture.logs)).not.toMatch(/hunter/);
  });

  // Issue 9 item 3: the seat table is lost on restart; an outsider who knows only the cluster
  // name rejoins first with a key of its own. Before the fix it set the cluster's key, and every
  // real tab then got `wrong-key` and stopped.
  test('after a restart, an outsider who rejoins first gets nothing of the keyed cluster; the real tabs keep it, with its size', async () => {
    await fixture.start();
    const before = [];
    for (let i = 0; i < 5; i++) before.push(await fixture.tab({ cluster: 'prod', key: 'real key', size: 5 }));
    await fixture.teardown();

    await fixture.start();
    const outsider = await fixture.tab({ cluster: 'prod', key: 'outsider key', size: 3 });
    expect(outsider.seat).toBe(1);
    // The real tabs rejoin (as signaling-link.ts does: their seat, key and size).
    const real = [];
    for (const old of before) {
      const tab = await fixture.client();
      expect(await tab.join({ cluster: 'prod', key: 'real key', size: 5, seat: old.seat })).toMatchObject({ ok: true, seat: old.seat, size: 5 });
      real.push(tab);
    }
    // A new tab of the real cluster is told N=5 and may ask for it; the outsider's room is apart.
    expect(await (await fixture.client()).join({ cluster: 'prod', key: 'real key', size: 5 })).toMatchObject({ ok: true, seat: 6, size: 5, peers: [1, 2, 3, 4, 5] });
    expect(outsider.all('peer-joined')).toEqual([]);
    const cli = await fixture.client();
    expect(await cli.gatewayConnect({ cluster: 'prod', key: 'outsider key', seat: 2, ...CLI })).toMatchObject({ ok: false, code: 'no-live-seat' });
    expect(await cli.gatewayConnect({ cluster: 'prod', key: 'real key', seat: 2, ...CLI })).toEqual({ ok: true, seat: 2, size: 5 });
  });
});
