import { afterEach, describe, expect, test } from 'vitest';
import { OP } from './records.ts';
import { startHarness, type Harness } from './testing/harness.ts';
import { codeOf, CreateMode, Nzk } from './testing/nzk.ts';
import { RawClient } from './testing/raw-client.ts';

// Goal: sessions behave as ZooKeeper clients expect: a negotiated timeout, a password checked on
// reconnect, SessionExpired once a client has been gone for its timeout (its ephemerals deleted),
// lastZxidSeen honoured, and the join key through `addauth digest`. Method: the harness (real
// signaling server, listener and three ZabNodes), a bare wire client for ids and passwords.

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(options?: Parameters<typeof startHarness>[0]): Promise<Harness> {
  const harness = await startHarness(options);
  cleanups.push(() => harness.stop());
  return harness;
}

async function raw(port: number): Promise<RawClient> {
  const client = await RawClient.open(port);
  cleanups.push(() => client.close());
  return client;
}

const createRecord = (path: string, data: string, flags: number) => ({
  path,
  data: Buffer.from(data),
  acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }],
  flags,
});

describe('ZooKeeper sessions through the listener', () => {
  test('the timeout is negotiated into the server bounds; a reconnect needs the right password', async () => {
    const { port, connect } = await setup();
    const first = await raw(port);
    const low = await first.handshake({ timeoutMs: 100 });
    expect(low?.timeOut).toBe(4_000);
    expect((await (await raw(port)).handshake({ timeoutMs: 10 ** 9 }))?.timeOut).toBe(40_000);

    const created = await first.request(1, OP.create, 'CreateRequest', createRecord('/demo/eph', 'x', 1));
    expect(created?.header.err).toBe(0);
    first.close();

    // The wrong password: ZooKeeper's answer for an invalid session (timeout 0), then close.
    const thief = await raw(port);
    const refused = await thief.handshake({ sessionId: low!.sessionId as bigint, password: new Uint8Array(16).fill(7) });
    expect(refused?.timeOut).toBe(0);
    expect(await thief.closedWithin(5_000)).toBe(true);

    // The right password resumes the session, ephemeral and all.
    const back = await raw(port);
    const resumed = await back.handshake({ sessionId: low!.sessionId as bigint, password: low!.passwd as Uint8Array });
    expect(resumed?.sessionId).toBe(low!.sessionId);
    expect(resumed?.timeOut).toBe(4_000);
    const stat = await back.request(2, OP.exists, 'ExistsRequest', { path: '/demo/eph', watch: false });
    expect(stat?.header.err).toBe(0);

    const observer = await Nzk.connect(connect);
    cleanups.push(() => observer.close());
    expect((await observer.exists('/eph'))?.ephemeralOwner.readBigInt64BE(0)).toBe(low!.sessionId);
  });

  test('a client gone for its timeout is expired: its ephemerals go, and it hears SessionExpired on reconnect', async () => {
    const { port, connect } = await setup();
    const client = await raw(port);
    const session = await client.handshake({ timeoutMs: 4_000 });
    expect((await client.request(1, OP.create, 'CreateRequest', createRecord('/demo/gone', '', 1)))?.header.err).toBe(0);
    const observer = await Nzk.connect(connect);
    cleanups.push(() => observer.close());
    expect(await observer.exists('/gone')).not.toBeNull();
    const left = Date.now();
    client.close();
    await expect.poll(() => observer.exists('/gone'), { timeout: 20_000, interval: 200 }).toBeNull();
    // The session outlived its connection: the leader expires it a timeout after it was last
    // touched, and the tab touches it every third of the timeout, so not before 2/3 of it.
    const expiredAfter = Date.now() - left;
    expect(expiredAfter).toBeGreaterThanOrEqual((4_000 * 2) / 3);
    const again = await raw(port);
    const answer = await again.handshake({ sessionId: session!.sessionId as bigint, password: session!.passwd as Uint8Array });
    expect(answer?.timeOut).toBe(0); // the client reports SessionExpired
    expect(await again.closedWithin(5_000)).toBe(true);
  });

  test('a session that keeps pinging outlives its timeout', async () => {
    const { connect } = await setup();
    const client = await Nzk.connect(connect, 4_000);
    cleanups.push(() => client.close());
    await client.create('/alive', '', CreateMode.EPHEMERAL);
    await new Promise((resolve) => setTimeout(resolve, 9_000));
    expect(await client.exists('/alive')).not.toBeNull();
    expect(client.states.some((state) => state.startsWith('EXPIRED'))).toBe(false);
  });

  test('lastZxidSeen: a tab that has not applied what the client saw does not serve it', async () => {
    const { port } = await setup();
    const client = await raw(port);
    const session = await client.handshake();
    const created = await client.request(1, OP.create, 'CreateRequest', createRecord('/demo/z', '', 0));
    const seen = created!.header.zxid as bigint;
    expect(seen).toBeGreaterThan(0n);
    client.close();

    // From the future (an epoch no tab has reached): refused, the connection closes unanswered.
    const ahead = await raw(port);
    expect(await ahead.handshake({ sessionId: session!.sessionId as bigint, password: session!.passwd as Uint8Array, lastZxidSeen: seen + (1n << 32n) })).toBeNull();

    // What it really saw: served, and its reads are at least that new.
    const back = await raw(port);
    const resumed = await back.handshake({ sessionId: session!.sessionId as bigint, password: session!.passwd as Uint8Array, lastZxidSeen: seen });
    expect(resumed?.timeOut).toBeGreaterThan(0);
    const read = await back.request(2, OP.exists, 'ExistsRequest', { path: '/demo/z', watch: false });
    expect(read?.header.err).toBe(0);
    expect(read!.header.zxid as bigint).toBeGreaterThanOrEqual(seen);
  });

  test('a keyed cluster: NoAuth until `addauth digest user:key` gives the join key', async () => {
    const { connect } = await setup({ key: 'sesame' });
    const client = await Nzk.connect(connect);
    cleanups.push(() => client.close());
    expect(await client.create('/k', 'v').then(() => 0, codeOf)).toBe(-102); // NoAuth
    client.client.addAuthInfo('digest', Buffer.from('anyone:wrong'));
    expect(await client.create('/k', 'v').then(() => 0, codeOf)).toBe(-102);
    client.client.addAuthInfo('digest', Buffer.from('anyone:sesame'));
    expect(await client.create('/k', 'v')).toBe('/k');
    expect((await client.getData('/k')).data).toBe('v');
  });

  test('a reconnect closes the connection the session had, which cannot undo the new one', async () => {
    const { port } = await setup();
    const first = await raw(port);
    const session = await first.handshake();
    expect((await first.request(1, OP.create, 'CreateRequest', createRecord('/demo/twice', '', 1)))?.header.err).toBe(0);
    const second = await raw(port);
    const resumed = await second.handshake({ sessionId: session!.sessionId as bigint, password: session!.passwd as Uint8Array });
    expect(resumed?.sessionId).toBe(session!.sessionId);
    expect(await first.closedWithin(5_000)).toBe(true);
    // The old connection's detach came and went: the session is served, and kept, on the new one.
    for (let xid = 2; xid < 6; xid++) {
      const read = await second.request(xid, OP.exists, 'ExistsRequest', { path: '/demo/twice', watch: false });
      expect(read?.header.err).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  });

  test('closeSession deletes the ephemerals at once', async () => {
    const { connect } = await setup();
    const owner = await Nzk.connect(connect, 40_000);
    const observer = await Nzk.connect(connect);
    cleanups.push(() => observer.close());
    await owner.create('/short', '', CreateMode.EPHEMERAL);
    const closed = Date.now();
    owner.close();
    await expect.poll(() => observer.exists('/short'), { timeout: 5_000, interval: 100 }).toBeNull();
    expect(Date.now() - closed).toBeLessThan(5_000); // not the 40 s timeout
  });

  test('lastZxidSeen: a lagging tab waits until it has applied what the client saw before serving it', async () => {
    const { port, cluster } = await setup();
    const leader = cluster.tabs.find((tab) => tab.node.view().state === 'LEADING')!;
    const lagging = cluster.tabs.find((tab) => tab !== leader)!;
    // A session that lives on the (soon) lagging tab, pinned there with demo@seat.
    const first = await raw(port);
    const opened = await first.handshake();
    expect((await first.request(1, OP.exists, 'ExistsRequest', { path: `/demo@${lagging.seat}`, watch: false }))?.header.err).toBe(0);
    first.close();
    // Its links slow down (within syncLimit: it keeps serving, behind); a write commits through the leader's seat.
    cluster.slowLinksTo(lagging.seat, 80);
    const writer = await raw(port);
    await writer.handshake();
    const created = await writer.request(1, OP.create, 'CreateRequest', createRecord(`/demo@${leader.seat}/fresh`, 'new', 0));
    const seen = created!.header.zxid as bigint;
    expect(lagging.node.committedZxid.counter, 'the lagging tab has not applied the write yet').toBeLessThan(Number(seen & 0xffff_ffffn));
    // The client saw the write and reconnects to the lagging tab: it is served only once that tab has applied it.
    const back = await raw(port);
    const resumed = await back.handshake({ sessionId: opened!.sessionId as bigint, password: opened!.passwd as Uint8Array, lastZxidSeen: seen });
    expect(resumed?.timeOut).toBeGreaterThan(0);
    const read = await back.request(2, OP.getData, 'GetDataRequest', { path: `/demo@${lagging.seat}/fresh`, watch: false });
    expect(read?.header.err).toBe(0); // not NoNode: the tab waited for the write
    expect(read!.header.zxid as bigint).toBeGreaterThanOrEqual(seen);
  });
});
