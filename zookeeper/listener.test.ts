import { afterEach, describe, expect, test } from 'vitest';
import { startHarness, type Harness } from './testing/harness.ts';
import { codec, OP } from './records.ts';
import { codeOf, CreateMode, Nzk } from './testing/nzk.ts';
import { RawClient } from './testing/raw-client.ts';

// Goal: an unmodified ZooKeeper client (node-zookeeper-client from npm) uses a TabKeeper cluster
// through the listener: every operation with ZooKeeper's answers, errors and stats, watches,
// multi, and a session that survives its tab closing. Method: the real signaling server and
// listener on free ports, and three real ZabNodes joined as tabs (zookeeper/testing/).

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(): Promise<Harness> {
  const harness = await startHarness();
  cleanups.push(() => harness.stop());
  return harness;
}

async function client(connect: string, timeoutMs?: number): Promise<Nzk> {
  const nzk = await Nzk.connect(connect, timeoutMs);
  cleanups.push(() => nzk.close());
  return nzk;
}

describe('the ZooKeeper listener with node-zookeeper-client', () => {
  test('create, get, set, ls, stat, delete with ZooKeeper errors and stats', async () => {
    const { connect } = await setup();
    const zk = await client(connect);
    expect(await zk.create('/a', 'hello')).toBe('/a');
    const { data, stat } = await zk.getData('/a');
    expect(data).toBe('hello');
    expect(stat.version).toBe(0);
    expect(stat.dataLength).toBe(5);
    const set = await zk.setData('/a', 'world', 0);
    expect(set.version).toBe(1);
    await expect(zk.setData('/a', 'stale', 0)).rejects.toSatisfy((error) => codeOf(error) === -103); // BadVersion
    await expect(zk.create('/a', 'again')).rejects.toSatisfy((error) => codeOf(error) === -110); // NodeExists
    await expect(zk.getData('/missing')).rejects.toSatisfy((error) => codeOf(error) === -101); // NoNode
    expect(await zk.exists('/missing')).toBeNull();
    const first = await zk.create('/a/seq-', '', CreateMode.PERSISTENT_SEQUENTIAL);
    expect(first).toBe('/a/seq-0000000000');
    await zk.create('/a/eph', 'e', CreateMode.EPHEMERAL);
    const listed = await zk.getChildren('/a');
    expect(listed.children).toEqual(['eph', 'seq-0000000000']);
    expect(listed.stat.numChildren).toBe(2);
    const eph = await zk.exists('/a/eph');
    expect(eph?.ephemeralOwner.toString('hex')).toBe(zk.sessionIdHex());
    await expect(zk.remove('/a')).rejects.toSatisfy((error) => codeOf(error) === -111); // NotEmpty
    await zk.remove('/a/eph');
    await zk.remove(first);
    await zk.remove('/a', 1);
    expect(await zk.exists('/a')).toBeNull();
  });

  test('multi commits all or nothing', async () => {
    const { connect } = await setup();
    const zk = await client(connect);
    await zk.multi((t) => t.create('/m').create('/m/x', Buffer.from('x')).setData('/m', Buffer.from('top'), 0));
    expect((await zk.getData('/m')).data).toBe('top');
    // (node-zookeeper-client turns a check of version 0 into -1, any version: check 5.)
    await expect(zk.multi((t) => t.create('/m/y').check('/m', 5))).rejects.toSatisfy((error) => codeOf(error) === -103);
    expect(await zk.exists('/m/y')).toBeNull();
  });

  test('one-shot data and child watches fire across sessions', async () => {
    const { connect } = await setup();
    const watcher = await client(connect);
    const writer = await client(connect);
    await writer.create('/w', 'v0');
    await watcher.getData('/w', true);
    await watcher.getChildren('/w', true);
    await watcher.exists('/w/new', true);
    await writer.setData('/w', 'v1');
    await writer.create('/w/new', '');
    await expect.poll(() => watcher.events.map((event) => `${event.getName()} ${event.getPath()}`).sort()).toEqual([
      'NODE_CHILDREN_CHANGED /w',
      'NODE_CREATED /w/new',
      'NODE_DATA_CHANGED /w',
    ]);
    await writer.setData('/w', 'v2');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(watcher.events).toHaveLength(3); // one-shot: the second change fires nothing
  });

  test('a session moves to another tab when its tab closes, keeping its ephemerals', async () => {
    const { connect, cluster } = await setup();
    const zk = await client(connect);
    await zk.create('/owned', 'mine', CreateMode.EPHEMERAL);
    const seatOf = () => cluster.tabs.find((tab) => tab.sessions.size > 0)?.seat;
    const seat = seatOf()!;
    expect(seat).toBeDefined();
    cluster.closeTab(seat);
    await expect.poll(async () => (await zk.getData('/owned').catch(() => null))?.data, { timeout: 20_000 }).toBe('mine');
    expect(seatOf()).not.toBe(seat);
    expect(zk.states).toContain('DISCONNECTED[0]');
    expect((await zk.exists('/owned'))?.ephemeralOwner.toString('hex')).toBe(zk.sessionIdHex());
  });

  test('multiRead answers each read, an error in one leaving the others', async () => {
    const { connect, port } = await setup();
    const zk = await client(connect);
    await zk.create('/r', 'data');
    await zk.create('/r/kid', '');
    const raw = await RawClient.open(port);
    cleanups.push(() => raw.close());
    await raw.handshake();
    const reads = [
      [OP.getData, '/demo/r'],
      [OP.getChildren, '/demo/r'],
      [OP.getData, '/demo/missing'],
    ] as const;
    const reply = await raw.requestWith(1, OP.multiRead, (writer) => {
      for (const [type, path] of reads) {
        codec.write(writer, 'MultiHeader', { type, done: false, err: -1 });
        codec.write(writer, 'GetDataRequest', { path, watch: false });
      }
      codec.write(writer, 'MultiHeader', { type: -1, done: true, err: -1 });
    });
    expect(reply?.header.err).toBe(0);
    const body = reply!.body;
    expect(codec.read(body, 'MultiHeader')).toEqual({ type: OP.getData, done: false, err: 0 });
    expect(Buffer.from(codec.read(body, 'GetDataResponse').data as Uint8Array).toString()).toBe('data');
    expect(codec.read(body, 'MultiHeader')).toEqual({ type: OP.getChildren, done: false, err: 0 });
    expect(codec.read(body, 'GetChildrenResponse').children).toEqual(['kid']);
    expect(codec.read(body, 'MultiHeader')).toEqual({ type: -1, done: false, err: -101 });
    expect(codec.read(body, 'ErrorResponse')).toEqual({ err: -101 });
    expect(codec.read(body, 'MultiHeader')).toMatchObject({ done: true });
  });
});
