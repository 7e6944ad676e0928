import { describe, expect, it } from 'vitest';
import { Scenario } from '../sim/scenario.ts';
import { SimClock } from '../sim/sim-clock.ts';
import { DataTree } from '../tree/index.ts';
import type { ServerId } from '../types.ts';
import { ZooKeeperError } from './errors.ts';
import { TabKeeperClient, type ConnectionState } from './tabkeeper-client.ts';
import type { WatchedEvent } from './watches.ts';
import { MARK } from '../marks.ts';

/**
 * The client API over a simulated 3-server cluster running the real data tree: what a
 * ZooKeeper user does, and what they must see when servers fail under them.
 */
async function cluster(): Promise<Scenario> {
  return Scenario.started({ voters: 3, createMachine: () => new DataTree() });
}

interface Connected {
  readonly client: TabKeeperClient;
  readonly states: ConnectionState[];
  /** The servers the client may use; tests remove some to strand it. */
  readonly reachable: Set<ServerId>;
}

function connect(s: Scenario, sessionId: string, first: ServerId, timeoutMs = 2000): Connected {
  const reachable = new Set(s.cluster.sids());
  let preferred: ServerId | null = first;
  const client = new TabKeeperClient({
    sessionId,
    sessionTimeoutMs: timeoutMs,
    clock: new SimClock(s.world, { rate: 1, offsetMs: 0 }),
    pickServer: (previous) => {
      const candidates = s.cluster.running().filter((sid) => reachable.has(sid) && s.cluster.node(sid)!.serving);
      const others = candidates.filter((sid) => sid !== previous);
      const sid = preferred !== null && candidates.includes(preferred) ? preferred : (others[0] ?? candidates[0]);
      preferred = null;
      return sid === undefined ? null : s.cluster.node(sid)!;
    },
  });
  const states: ConnectionState[] = [];
  client.onStateChange((state) => states.push(state));
  return { client, states, reachable };
}

/** Awaits a client promise while the simulated world runs. */
async function settle<T>(s: Scenario, promise: Promise<T>): Promise<T> {
  let outcome: { value: T } | { error: unknown } | null = null;
  promise.then((value) => (outcome = { value }), (error: unknown) => (outcome = { error }));
  // Promise callbacks run as microtasks, between world runs: advance in small steps.
  for (let elapsedMs = 0; outcome === null && elapsedMs < 20_000; elapsedMs += 5) await s.run(5);
  if (outcome === null) throw new Error(`the client call did not settle in 20 s\n${s.cluster.describe()}`);
  const settled = outcome as unknown as { value: T } | { error: unknown };
  if ('error' in settled) throw settled.error;
  return settled.value;
}

async function failsWith(s: Scenario, promise: Promise<unknown>): Promise<string> {
  try {
    await settle(s, promise);
  } catch (error) {
    expect(error).toBeInstanceOf(ZooKeeperError);
    return (error as ZooKeeperError).code;
  }
  throw new Error('expected the call to fail');
}

describe('TabKeeperClient', () => {
  it('connects, creates a session, and runs every operation with ZooKeeper results', async () => {
    const s = await cluster();
    const { client, states } = connect(s, 'session-a', s.followers()[0]!);
    await s.until(() => client.state === 'CONNECTED', 'the client connects');
    expect(states).toEqual(['CONNECTED']);

    expect(await settle(s, client.create('/app', 'root'))).toBe('/app');
    expect(await settle(s, client.create('/app/job-', 'x', { sequential: true }))).toBe('/app/job-0000000000');
    expect(await settle(s, client.create('/app/job-', 'y', { sequential: true }))).toBe('/app/job-0000000001');
    expect((await settle(s, client.setData('/app', 'v2', 0))).version).toBe(1);
    expect(await failsWith(s, client.setData('/app', 'v3', 0))).toBe('BadVersion');
    expect(await settle(s, client.getData('/app'))).toMatchObject({ data: 'v2', stat: { version: 1, numChildren: 2 } });
    expect(await settle(s, client.getChildren('/app'))).toEqual(['job-0000000000', 'job-0000000001']);
    expect(await failsWith(s, client.delete('/app'))).toBe('NotEmpty');
    expect(await failsWith(s, client.create('/missing/child', ''))).toBe('NoNode');
    expect(await failsWith(s, client.create('bad-path', ''))).toBe('BadArguments');
    await settle(s, client.delete('/app/job-0000000000'));
    expect(await settle(s, client.exists('/app/job-0000000000'))).toBeNull();
    await settle(s, client.sync('/'));
    await settle(s, client.close());
    expect(client.state).toBe('CLOSED');
  });

  it('multi is all or nothing and names the failing op', async () => {
    const s = await cluster();
    const { client } = connect(s, 'session-m', s.leader());
    await settle(s, client.create('/m', ''));
    try {
      await settle(s, client.multi([
        { type: 'create', path: '/m/a', data: '', ephemeral: false, sequential: false },
        { type: 'setData', path: '/m', data: 'changed', version: -1 },
        { type: 'delete', path: '/m/missing', version: -1 },
      ]));
      throw new Error('multi should fail');
    } catch (error) {
      expect((error as ZooKeeperError).code).toBe('NoNode');
      expect((error as ZooKeeperError).details).toMatchObject({
        failedIndex: 2,
        results: [{ type: 'error', error: 'Ok' }, { type: 'error', error: 'Ok' }, { type: 'error', error: 'NoNode' }],
      });
    }
    expect(await settle(s, client.exists('/m/a'))).toBeNull();
    expect((await settle(s, client.getData('/m'))).data).toBe('');
  });

  it('a watch fires exactly once, on the server the client is attached to, before the new data is read', async () => {
    const s = await cluster();
    const watcher = connect(s, 'watcher', s.followers()[0]!);
    const writer = connect(s, 'writer', s.leader());
    await settle(s, writer.client.create('/w', 'one'));
    // Another client's write is visible on the watcher's server only after a sync (ZooKeeper's rule).
    await settle(s, watcher.client.sync('/w'));
    const events: WatchedEvent[] = [];
    await settle(s, watcher.client.getData('/w', { watch: (event) => events.push(event) }));
    await settle(s, writer.client.setData('/w', 'two'));
    await settle(s, writer.client.setData('/w', 'three'));
    await s.until(() => events.length > 0, 'the watch fires');
    await s.run(200);
    expect(events).toEqual([{ type: 'NodeDataChanged', path: '/w' }]);
    const childEvents: WatchedEvent[] = [];
    await settle(s, watcher.client.getChildren('/w', { watch: (event) => childEvents.push(event) }));
    await settle(s, writer.client.create('/w/c', ''));
    await s.until(() => childEvents.length > 0, 'the child watch fires');
    expect(childEvents).toEqual([{ type: 'NodeChildrenChanged', path: '/w' }]);
  });

  it('a client whose server is lost reconnects within the timeout and keeps its session, ephemerals and watches', async () => {
    const s = await cluster();
    const home = s.followers()[0]!;
    const { client, states } = connect(s, 'mover', home);
    const other = connect(s, 'other', s.leader());
    await settle(s, client.create('/lock', '', { ephemeral: true }));
    await settle(s, other.client.create('/watched', ''));
    const events: WatchedEvent[] = [];
    await settle(s, client.exists('/watched', { watch: (event) => events.push(event) }));

    s.cluster.crash(home);
    await s.until(() => client.state === 'CONNECTED' && client.serverId !== home, 'the client moves to another server');
    expect(states).toEqual(['CONNECTED', 'CONNECTING', 'CONNECTED']);
    expect(await settle(s, other.client.exists('/lock', { sync: true }))).not.toBeNull();
    // The change happens after the move: the watch set on the lost server still fires, once.
    await settle(s, other.client.setData('/watched', 'changed'));
    await s.until(() => events.length > 0, 'the moved watch fires');
    expect(events).toEqual([{ type: 'NodeDataChanged', path: '/watched' }]);
  });

  it('a stranded client’s session expires: its ephemerals vanish on every server, and it learns it is expired', async () => {
    const s = await cluster();
    const home = s.followers()[0]!;
    const stranded = connect(s, 'stranded', home, 500);
    await settle(s, stranded.client.create('/eph', 'mine', { ephemeral: true }));
    const observer = connect(s, 'observer', s.leader());
    const deleted: WatchedEvent[] = [];
    await settle(s, observer.client.exists('/eph', { watch: (event) => deleted.push(event) }));

    stranded.reachable.clear(); // nowhere to go once its server is gone
    s.cluster.crash(home);
    await s.until(() => deleted.length > 0, 'the leader expires the session');
    expect(deleted).toEqual([{ type: 'NodeDeleted', path: '/eph' }]);
    expect(s.mark(MARK.leaderExpiresSession)).toBeGreaterThan(0);
    s.cluster.start(home);
    await s.stabilize();
    for (const sid of s.cluster.running()) expect(s.cluster.node(sid)!.query({ type: 'exists', path: '/eph' })).toEqual({ ok: true, value: null });

    stranded.reachable.add(home);
    await s.until(() => stranded.client.state === 'EXPIRED', 'the client learns its session expired');
    expect(await failsWith(s, stranded.client.getData('/'))).toBe('SessionExpired');
  });

  it('bad input at the API is refused with BadArguments before anything is proposed', async () => {
    const s = await cluster();
    const { client } = connect(s, 'careless', s.followers()[0]!);
    await s.until(() => client.state === 'CONNECTED', 'the client connects');
    const lastZxid = () => s.cluster.running().map((sid) => s.cluster.node(sid)!.inspect().log.lastZxid);
    const before = lastZxid();
    const oversized = 'x'.repeat(1024 * 1024 + 1);
    const calls: Promise<unknown>[] = [
      client.create('no-leading-slash', ''),
      client.create('/trailing/', ''),
      client.create('/a//b', ''),
      client.create('/big', oversized),
      client.setData('/', oversized),
      client.setData('/x', 'data', -2),
      client.delete('/x', 1.5),
      client.create(42 as unknown as string, ''),
      client.create('/x', { not: 'a string' } as unknown as string),
      client.getData('relative'),
    ];
    for (const call of calls) expect(await failsWith(s, call)).toBe('BadArguments');
    expect(lastZxid()).toEqual(before);
    expect(client.state).toBe('CONNECTED');
  });
});
