import { afterEach, describe, expect, test } from 'vitest';
import { ServerFixture } from './testing/fixture.ts';

// Goal: WebRTC signals go from one seat to another of the same room, untouched, and nowhere
// else. Method: real sockets; "nothing arrived" is shown with a barrier (a later legitimate
// signal to the same socket arrives first), never by waiting a fixed time.
describe('signal relay', () => {
  const fixture = new ServerFixture();
  afterEach(() => fixture.teardown());

  test('a signal reaches the named seat of the same room, with the sender seat and the data unchanged', async () => {
    await fixture.start();
    const one = await fixture.tab({ cluster: 'demo' });
    const two = await fixture.tab({ cluster: 'demo' });
    const three = await fixture.tab({ cluster: 'demo' });
    const offer = { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n', nested: [1, { deep: true }, null] };
    one.emit('signal', { to: 3, data: offer });
    expect(await three.next('signal')).toEqual({ from: 1, data: offer });
    three.emit('signal', { to: 1, data: 'answer' });
    expect(await one.next('signal')).toEqual({ from: 3, data: 'answer' });
    expect(two.all('signal')).toEqual([]);
  });

  test('signals from one tab arrive in the order sent', async () => {
    await fixture.start();
    const one = await fixture.tab({ cluster: 'demo' });
    const two = await fixture.tab({ cluster: 'demo' });
    for (let index = 0; index < 50; index++) one.emit('signal', { to: 2, data: index });
    await two.next('signal', (event: { data: number }) => event.data === 49);
    expect(two.all<{ data: number }>('signal').map((event) => event.data)).toEqual(Array.from({ length: 50 }, (_, index) => index));
  });

  test('relay to a seat held only in another room is refused and never delivered', async () => {
    await fixture.start();
    const a1 = await fixture.tab({ cluster: 'a' });
    const b1 = await fixture.tab({ cluster: 'b' });
    const b2 = await fixture.tab({ cluster: 'b' });
    expect(b2.seat).toBe(2);
    a1.emit('signal', { to: 2, data: 'crossing rooms' });
    expect(await a1.nextError('signal')).toEqual({ event: 'signal', code: 'no-such-seat', reason: 'no tab holds seat 2 of cluster a' });
    b1.emit('signal', { to: 2, data: 'barrier' });
    await b2.next('signal', (event: { data: string }) => event.data === 'barrier');
    expect(b2.all('signal')).toEqual([{ from: 1, data: 'barrier' }]);
  });

  test('relay before join is refused', async () => {
    await fixture.start();
    const tab = await fixture.tab({ cluster: 'demo' });
    const stranger = await fixture.client();
    stranger.emit('signal', { to: tab.seat, data: 'hello?' });
    expect(await stranger.nextError('signal')).toEqual({ event: 'signal', code: 'not-joined', reason: 'join a cluster before relaying signals' });
  });

  test('a tab cannot signal its own seat, nor a seat nobody holds', async () => {
    await fixture.start();
    const tab = await fixture.tab({ cluster: 'demo' });
    tab.emit('signal', { to: 1, data: 'me' });
    expect(await tab.nextError('signal')).toMatchObject({ code: 'invalid' });
    tab.emit('signal', { to: 9, data: 'anyone?' });
    expect(await tab.nextError('signal')).toMatchObject({ code: 'no-such-seat' });
  });

  test('after a tab leaves, signals to its seat are refused until someone reclaims it', async () => {
    await fixture.start();
    const one = await fixture.tab({ cluster: 'demo' });
    const two = await fixture.tab({ cluster: 'demo' });
    two.close();
    await one.next('peer-left');
    one.emit('signal', { to: 2, data: 'gone?' });
    expect(await one.nextError('signal')).toMatchObject({ code: 'no-such-seat' });
    const back = await fixture.tab({ cluster: 'demo', seat: 2 });
    one.emit('signal', { to: 2, data: 'welcome back' });
    expect(await back.next('signal')).toEqual({ from: 1, data: 'welcome back' });
  });
});
