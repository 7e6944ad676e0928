import { afterEach, describe, expect, test } from 'vitest';
import type { JoinReply } from '../protocol/signaling-events.ts';
import { ManualClock, ServerFixture } from './testing/fixture.ts';

// Goal: seats are assigned as the README says (lowest free voter, then observers), a tab can
// reclaim the seat it names, and two live sockets never hold one seat. Method: real
// socket.io-client sockets against a real server on an ephemeral port.
describe('seats', () => {
  const fixture = new ServerFixture();
  afterEach(() => fixture.teardown());

  test('the first tab creates the cluster with the default size and gets seat 1; later tabs get the lowest free seat', async () => {
    await fixture.start({ defaultClusterSize: 3 });
    const first = await (await fixture.client()).join({ cluster: 'demo' });
    const second = await (await fixture.client()).join({ cluster: 'demo' });
    expect(first).toMatchObject({ ok: true, seat: 1, size: 3, peers: [] });
    expect(second).toMatchObject({ ok: true, seat: 2, size: 3, peers: [1] });
  });

  test('a cluster keeps the size its first tab chose; a tab asking for another size is refused', async () => {
    await fixture.start({ defaultClusterSize: 3 });
    await fixture.tab({ cluster: 'five', size: 5 });
    expect(await (await fixture.client()).join({ cluster: 'five' })).toMatchObject({ ok: true, seat: 2, size: 5 });
    const refused = await (await fixture.client()).join({ cluster: 'five', size: 3 });
    expect(refused).toEqual({ ok: false, code: 'size-mismatch', error: 'cluster five has 5 voters, not 3' });
  });

  test('tabs beyond N voters become observers N+1, N+2…, and a freed voter seat is given out before observer seats', async () => {
    await fixture.start({ defaultClusterSize: 3 });
    const tabs = [];
    for (let index = 0; index < 5; index++) tabs.push(await fixture.tab({ cluster: 'demo' }));
    expect(tabs.map((tab) => tab.seat)).toEqual([1, 2, 3, 4, 5]);
    tabs[1]!.close();
    await tabs[0]!.next('peer-left', (event: { seat: number }) => event.seat === 2);
    const next = await (await fixture.client()).join({ cluster: 'demo' });
    expect(next).toMatchObject({ ok: true, seat: 2, size: 3, peers: [1, 3, 4, 5] });
  });

  test('a full cluster refuses another tab', async () => {
    await fixture.start({ defaultClusterSize: 1, maxObservers: 1 });
    await fixture.tab({ cluster: 'tiny' });
    await fixture.tab({ cluster: 'tiny' });
    const refused = await (await fixture.client()).join({ cluster: 'tiny' });
    expect(refused).toEqual({ ok: false, code: 'cluster-full', error: 'all 2 seats of cluster tiny are held' });
  });

  test('a tab reclaims the seat it names once the old socket is gone (a reload)', async () => {
    await fixture.start();
    const one = await fixture.tab({ cluster: 'demo' });
    const two = await fixture.tab({ cluster: 'demo' });
    two.close();
    await one.next('peer-left', (event: { seat: number }) => event.seat === 2);
    const reloaded = await fixture.client();
    expect(await reloaded.join({ cluster: 'demo', seat: 2 })).toMatchObject({ ok: true, seat: 2, size: 3, peers: [1] });
    expect(await one.next('peer-joined', (event: { seat: number }) => event.seat === 2)).toEqual({ seat: 2 });
  });

  test('a tab may name a free seat it never held, voter or observer', async () => {
    await fixture.start();
    expect(await (await fixture.client()).join({ cluster: 'demo', seat: 3 })).toMatchObject({ ok: true, seat: 3, peers: [] });
    expect(await (await fixture.client()).join({ cluster: 'demo', seat: 7 })).toMatchObject({ ok: true, seat: 7, peers: [3] });
    expect(await (await fixture.client()).join({ cluster: 'demo' })).toMatchObject({ ok: true, seat: 1, peers: [3, 7] });
  });

  test('claiming a seat held by a live socket is refused with a clear error, and the holder keeps it', async () => {
    await fixture.start();
    const holder = await fixture.tab({ cluster: 'demo' });
    const intruder = await fixture.client();
    const refused = await intruder.join({ cluster: 'demo', seat: holder.seat });
    expect(refused).toEqual({ ok: false, code: 'seat-taken', error: 'seat 1 of cluster demo is held by another live tab' });
    expect(await intruder.nextError('join')).toMatchObject({ code: 'seat-taken' });
    // The intruder may still take a free seat; the holder hears about that, not about a takeover.
    expect(await intruder.join({ cluster: 'demo' })).toMatchObject({ ok: true, seat: 2, peers: [1] });
    expect(await holder.next('peer-joined')).toEqual({ seat: 2 });
  });

  test('many tabs racing for the same seat: exactly one gets it', async () => {
    await fixture.start();
    const clients = await Promise.all(Array.from({ length: 8 }, () => fixture.client()));
    const replies: JoinReply[] = await Promise.all(clients.map((client) => client.join({ cluster: 'race', seat: 2 })));
    expect(replies.filter((reply) => reply.ok)).toHaveLength(1);
    expect(replies.filter((reply) => !reply.ok && reply.code === 'seat-taken')).toHaveLength(7);
  });

  test('a socket holds one seat: a second join on it is refused', async () => {
    await fixture.start();
    const tab = await fixture.tab({ cluster: 'demo' });
    expect(await tab.join({ cluster: 'other' })).toMatchObject({ ok: false, code: 'already-joined' });
  });

  test('peer-joined and peer-left reach the other tabs of the room only', async () => {
    await fixture.start();
    const one = await fixture.tab({ cluster: 'a' });
    const elsewhere = await fixture.tab({ cluster: 'b' });
    const two = await fixture.tab({ cluster: 'a' });
    expect(await one.next('peer-joined')).toEqual({ seat: 2 });
    two.close();
    expect(await one.next('peer-left')).toEqual({ seat: 2 });
    // The other room heard nothing: a signal between its own tabs is the first event it sees.
    const elsewhereTwo = await fixture.tab({ cluster: 'b' });
    elsewhereTwo.emit('signal', { to: elsewhere.seat, data: 'barrier' });
    await elsewhere.next('signal');
    expect(elsewhere.received.map((item) => item.event)).toEqual(['peer-joined', 'signal']);
    expect(two.all('peer-joined')).toEqual([]);
  });

  test('an empty cluster keeps its size for the TTL, then is forgotten', async () => {
    const clock = new ManualClock();
    await fixture.start({ now: clock.now, emptyClusterTtlMs: 60_000 });
    const first = await fixture.tab({ cluster: 'demo', size: 5 });
    first.close();
    await first.disconnected();
    await expect.poll(() => fixture.logged('seat released').length).toBe(1);
    clock.advance(59_000);
    const back = await fixture.client();
    expect(await back.join({ cluster: 'demo' })).toMatchObject({ ok: true, size: 5 });
    back.close();
    await expect.poll(() => fixture.logged('seat released').length).toBe(2);
    clock.advance(60_000);
    expect(await (await fixture.client()).join({ cluster: 'demo' })).toMatchObject({ ok: true, size: 3 });
  });
});
