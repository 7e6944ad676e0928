import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayOp } from '../../protocol/gateway-ops.ts';
import type { Clock } from '../../core/clock.ts';
import { TabKeeperClient } from '../../core/client/tabkeeper-client.ts';
import { serverConfig } from '../../core/config.ts';
import { MemoryStorage } from '../../core/memory-storage.ts';
import { ZabNode } from '../../core/node.ts';
import { encodeMessage } from '../../core/messages.ts';
import type { Transport } from '../../core/transport.ts';
import type { ServerId } from '../../core/types.ts';
import { DataTree } from '../../core/tree/index.ts';
import { GatewaySessions, runGatewayOp } from './gateway-sessions.ts';

// Goal: every gateway op maps onto the client API with the result shapes protocol/gateway-ops.ts
// documents, errors carry ZooKeeper's names, and CLI client ids get sessions of their own.
// Method: real ZabNodes, three in memory, on real timers; the sessions attach to node 1.

const realClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  setTimer: (delayMs, callback) => setTimeout(callback, delayMs) as unknown as number,
  clearTimer: (id) => clearTimeout(id),
};

/** Links between in-memory nodes: FIFO, delivered on the next macrotask, as a DataChannel would. */
class LoopbackNetwork {
  private readonly receivers = new Map<ServerId, (from: ServerId, data: unknown) => void>();

  transportOf(sid: ServerId): Transport {
    return {
      send: (to, message) => {
        const text = encodeMessage(message);
        setTimeout(() => this.receivers.get(to)?.(sid, text), 0);
      },
      onMessage: (callback) => this.receivers.set(sid, callback),
      onLinkUp: () => {},
      onLinkDown: () => {},
    };
  }
}

const nodes: ZabNode[] = [];
afterEach(() => {
  for (const node of nodes.splice(0)) node.stop();
});

/**
 * A cluster of three in-memory nodes with an established leader; returns node 1. (A cluster of
 * one never establishes: discovery waits for a FOLLOWERINFO that no one sends.)
 */
async function servingNode(): Promise<ZabNode> {
  const network = new LoopbackNetwork();
  for (const sid of [1, 2, 3]) {
    nodes.push(
      new ZabNode({
        config: serverConfig(sid, 3),
        createMachine: () => new DataTree(),
        transport: network.transportOf(sid),
        storage: new MemoryStorage(),
        clock: realClock,
        tickMs: 10,
        requestTimeoutMs: 5_000,
      }),
    );
  }
  for (const node of nodes) node.start();
  const node = nodes[0]!;
  for (let waited = 0; !node.serving; waited += 10) {
    if (waited > 10_000) throw new Error(`node never served: ${JSON.stringify(node.view())}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return node;
}

function clientOf(node: ZabNode, sessionId: string): TabKeeperClient {
  return new TabKeeperClient({ sessionId, sessionTimeoutMs: 5_000, clock: realClock, pickServer: () => node });
}

describe('runGatewayOp', () => {
  it('answers every op with the documented shapes and ZooKeeper error names', async () => {
    const client = clientOf(await servingNode(), 'tab-test');
    const run = (op: GatewayOp) => runGatewayOp(client, op);
    expect(await run({ op: 'create', path: '/a', data: 'hello', ephemeral: false, sequential: false })).toEqual({ ok: true, value: '/a' });
    expect(await run({ op: 'create', path: '/a', data: '', ephemeral: false, sequential: false })).toEqual({ ok: false, error: 'NodeExists' });
    expect(await run({ op: 'create', path: '/a/q-', data: '', ephemeral: false, sequential: true })).toEqual({ ok: true, value: '/a/q-0000000000' });
    const got = await run({ op: 'get', path: '/a' });
    expect(got).toMatchObject({ ok: true, value: { data: 'hello', stat: { version: 0, numChildren: 1 } } });
    expect(await run({ op: 'set', path: '/a', data: 'v2', version: 0 })).toMatchObject({ ok: true, value: { version: 1 } });
    expect(await run({ op: 'set', path: '/a', data: 'v3', version: 0 })).toEqual({ ok: false, error: 'BadVersion' });
    expect(await run({ op: 'ls', path: '/' })).toEqual({ ok: true, value: ['a'] });
    expect(await run({ op: 'stat', path: '/a' })).toMatchObject({ ok: true, value: { version: 1 } });
    expect(await run({ op: 'stat', path: '/missing' })).toEqual({ ok: false, error: 'NoNode' });
    expect(await run({ op: 'exists', path: '/missing' })).toEqual({ ok: true, value: null });
    expect(await run({ op: 'sync', path: '/a' })).toEqual({ ok: true, value: '/a' });
    expect(await run({ op: 'delete', path: '/a', version: -1 })).toEqual({ ok: false, error: 'NotEmpty' });
    expect(await run({ op: 'delete', path: '/a/q-0000000000', version: -1 })).toEqual({ ok: true, value: null });
    expect(await run({ op: 'get', path: '/nope' })).toEqual({ ok: false, error: 'NoNode' });
    client.abandon();
  });
});

describe('a one-seat cluster', () => {
  it('leads alone and serves writes, synced reads and sync (quorum of one)', async () => {
    const node = new ZabNode({
      config: serverConfig(1, 1),
      createMachine: () => new DataTree(),
      transport: new LoopbackNetwork().transportOf(1),
      storage: new MemoryStorage(),
      clock: realClock,
      tickMs: 10,
      requestTimeoutMs: 5_000,
    });
    nodes.push(node);
    node.start();
    for (let waited = 0; !node.serving; waited += 10) {
      if (waited > 5_000) throw new Error(`node never served: ${JSON.stringify(node.view())}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(node.view()).toMatchObject({ state: 'LEADING', leader: 1, currentEpoch: 1 });
    const client = clientOf(node, 'alone');
    expect(await runGatewayOp(client, { op: 'create', path: '/solo', data: 'x', ephemeral: false, sequential: false })).toEqual({ ok: true, value: '/solo' });
    expect(await runGatewayOp(client, { op: 'get', path: '/solo' })).toMatchObject({ ok: true, value: { data: 'x' } });
    expect(await runGatewayOp(client, { op: 'sync', path: '/' })).toEqual({ ok: true, value: '/' });
    client.abandon();
  });
});

describe('GatewaySessions', () => {
  it('gives each CLI client id its own session, refuses malformed ops, and lets idle ones go', async () => {
    const node = await servingNode();
    let now = 0;
    const clock: Clock = { ...realClock, now: () => realClock.now() + now };
    const sessions = new GatewaySessions({ clock, server: node, sessionTimeoutMs: 5_000, idleMs: 60_000, maxSessions: 2 });
    expect(await sessions.run('cli-a', { op: 'create', path: '/e', data: '', ephemeral: true, sequential: false })).toEqual({ ok: true, value: '/e' });
    expect(await sessions.run('cli-b', { op: 'get', path: '/e' })).toMatchObject({ ok: true, value: { stat: { ephemeralOwner: 'cli-a' } } });
    expect(await sessions.run('cli-b', { op: 'frobnicate', path: '/e' })).toEqual({ ok: false, error: 'BadArguments' });
    expect(await sessions.run('cli-b', { op: 'get', path: 'relative' })).toEqual({ ok: false, error: 'BadArguments' });
    expect(sessions.size).toBe(2);
    await sessions.run('cli-c', { op: 'ls', path: '/' });
    expect(sessions.size).toBe(2); // the least recently used (cli-a) was let go
    now = 120_000;
    sessions.sweep();
    expect(sessions.size).toBe(0);
  });
});

describe('exactly-once CLI writes across tabs', () => {
  it('a numbered write sent again through another tab answers its original result and is applied once', async () => {
    await servingNode();
    const [one, two, three] = nodes as [ZabNode, ZabNode, ZabNode];
    const options = { clock: realClock, sessionTimeoutMs: 5_000, idleMs: 60_000, maxSessions: 8 };
    const tabOne = new GatewaySessions({ ...options, server: one });
    const tabTwo = new GatewaySessions({ ...options, server: two });
    const tabThree = new GatewaySessions({ ...options, server: three });
    const create = (path: string, requestNumber: number): GatewayOp => ({ op: 'create', path, data: 'x', ephemeral: false, sequential: true, requestNumber });
    expect(await tabOne.run('cli-x', { ...create('/jobs', 1), sequential: false })).toEqual({ ok: true, value: '/jobs' });
    expect(await tabOne.run('cli-x', create('/jobs/j-', 2))).toEqual({ ok: true, value: '/jobs/j-0000000000' });
    // The CLI lost tab one's answer and sends write 2 again through tab two.
    expect(await tabTwo.run('cli-x', create('/jobs/j-', 2))).toEqual({ ok: true, value: '/jobs/j-0000000000' });
    expect(await tabTwo.run('cli-x', { op: 'ls', path: '/jobs' })).toEqual({ ok: true, value: ['j-0000000000'] });
    // A conditional write: its retry answers the original stat, not BadVersion.
    const set: GatewayOp = { op: 'set', path: '/jobs', data: 'y', version: 0, requestNumber: 3 };
    const first = await tabTwo.run('cli-x', set);
    expect(first).toMatchObject({ ok: true, value: { version: 1 } });
    expect(await tabOne.run('cli-x', set)).toEqual(first);
    // A new number is a new write.
    expect(await tabThree.run('cli-x', create('/jobs/j-', 4))).toEqual({ ok: true, value: '/jobs/j-0000000001' });
    // A session first seen with a write numbered above 1 must exist: one that never did (or
    // expired) is SessionExpired, and nothing is applied.
    expect(await tabThree.run('cli-unknown', create('/jobs/j-', 7))).toEqual({ ok: false, error: 'SessionExpired' });
    expect(await tabThree.run('cli-x', { op: 'ls', path: '/jobs' })).toEqual({ ok: true, value: ['j-0000000000', 'j-0000000001'] });
    for (const tab of [tabOne, tabTwo, tabThree]) tab.abandonAll();
  });
});
