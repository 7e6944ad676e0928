import { describe, expect, it } from 'vitest';
import { Scenario } from '../sim/scenario.ts';
import { SimClock } from '../sim/sim-clock.ts';
import type { ApplyResult } from '../state-machine.ts';
import { DataTree } from '../tree/index.ts';
import type { Json, ServerId } from '../types.ts';
import type { ServerHandle } from './server-handle.ts';
import { TabKeeperClient } from './tabkeeper-client.ts';

/**
 * Pipelining: many calls of one session in flight at once, results in call order (FIFO client
 * order), reads that see exactly the session's earlier writes, and after a failover a committed
 * history that holds a prefix of what was sent, never a write with an earlier one missing.
 */

interface Probe {
  client: TabKeeperClient;
  /** Most requests of this client outstanding at its server at once. */
  maxOutstanding: number;
}

/** A client attached to `sid` (then to any serving server), counting its requests in flight there. */
function pipelinedClient(s: Scenario, sessionId: string, sid: ServerId): Probe {
  let outstanding = 0;
  const probe: Probe = { client: null as unknown as TabKeeperClient, maxOutstanding: 0 };
  const counting = (node: ServerHandle): ServerHandle =>
    new Proxy(node, {
      get(target, key, receiver) {
        if (key !== 'request') return Reflect.get(target, key, receiver) as unknown;
        return (type: 'op' | 'sync', op: Json, done: (result: ApplyResult) => void) => {
          outstanding++;
          probe.maxOutstanding = Math.max(probe.maxOutstanding, outstanding);
          target.request(type, op, (result) => {
            outstanding--;
            done(result);
          });
        };
      },
    });
  let first: ServerId | null = sid;
  probe.client = new TabKeeperClient({
    sessionId,
    sessionTimeoutMs: 5000,
    clock: new SimClock(s.world, { rate: 1, offsetMs: 0 }),
    onPromiseSettled: () => s.world.noteSettledPromise(),
    pickServer: (previous) => {
      const serving = s.cluster.running().filter((each) => s.cluster.node(each)!.serving);
      const chosen = first !== null && serving.includes(first) ? first : (serving.find((each) => each !== previous) ?? serving[0]);
      first = null;
      return chosen === undefined ? null : counting(s.cluster.node(chosen)!);
    },
  });
  return probe;
}

/** Issues every call at once; returns the order in which their results were delivered, and the results. */
function issueAll(calls: (() => Promise<unknown>)[]): { order: number[]; results: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] } {
  const order: number[] = [];
  const results: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
  calls.forEach((call, index) => {
    call().then(
      (value) => {
        order.push(index);
        results[index] = { ok: true, value };
      },
      (error: unknown) => {
        order.push(index);
        results[index] = { ok: false, error };
      },
    );
  });
  return { order, results };
}

async function cluster(): Promise<Scenario> {
  return Scenario.started({ voters: 3, createMachine: () => new DataTree(), seed: 7 });
}

describe('pipelined requests of one session', () => {
  it('200 writes from a follower are in flight together and answered in call order', async () => {
    const s = await cluster();
    const probe = pipelinedClient(s, 'pipe-a', s.followers()[0]!);
    await s.until(() => probe.client.state === 'CONNECTED', 'the client connects');
    const count = 200;
    const { order, results } = issueAll([
      () => probe.client.create('/p', ''),
      ...Array.from({ length: count }, (_, index) => () => probe.client.setData('/p', String(index))),
    ]);
    await s.until(() => order.length === count + 1, 'every write is answered');
    expect(order).toEqual(Array.from({ length: count + 1 }, (_, index) => index));
    // Each set saw exactly the sets before it: versions 1..count in call order.
    expect(results.slice(1).map((result) => (result.ok ? (result.value as { version: number }).version : -1))).toEqual(Array.from({ length: count }, (_, index) => index + 1));
    expect(probe.maxOutstanding).toBeGreaterThan(50);
  });

  it('reads among pipelined writes see every earlier write of the session and no later one', async () => {
    const s = await cluster();
    const probe = pipelinedClient(s, 'pipe-b', s.followers()[1]!);
    await s.until(() => probe.client.state === 'CONNECTED', 'the client connects');
    const client = probe.client;
    const calls: (() => Promise<unknown>)[] = [() => client.create('/r', 'start')];
    const expected: (string | null)[] = [null];
    for (let index = 0; index < 60; index++) {
      calls.push(() => client.setData('/r', `w${index}`));
      expected.push(null);
      if (index % 5 === 4) {
        calls.push(async () => (await client.getData('/r', { sync: index % 10 === 4 })).data);
        expected.push(`w${index}`);
      }
    }
    const { order, results } = issueAll(calls);
    await s.until(() => order.length === calls.length, 'every call is answered');
    expect(order).toEqual(calls.map((_, index) => index));
    expected.forEach((data, index) => {
      if (data !== null) expect(results[index]).toEqual({ ok: true, value: data });
    });
    expect(probe.maxOutstanding).toBeGreaterThan(4);
  });

  it('across a leader crash: answers stay in call order, and what committed is a prefix of what was sent', async () => {
    const s = await cluster();
    const oldLeader = s.leader();
    const probe = pipelinedClient(s, 'pipe-c', s.followers()[0]!);
    await s.until(() => probe.client.state === 'CONNECTED', 'the client connects');
    const client = probe.client;
    const first = issueAll([() => client.create('/q', '')]);
    await s.until(() => first.order.length === 1, '/q is created');
    const count = 300;
    const { order, results } = issueAll(Array.from({ length: count }, (_, index) => () => client.create('/q/n-', String(index), { sequential: true })));
    await s.until(() => order.length > 20, 'some writes are answered');
    s.cluster.crash(oldLeader);
    await s.until(() => order.length === count, 'every write is answered (some with ConnectionLoss)');
    expect(order).toEqual(Array.from({ length: count }, (_, index) => index));
    // Once one call failed, every later one failed too: nothing after a gap.
    const firstFailure = results.findIndex((result) => !result.ok);
    expect(firstFailure).toBeGreaterThan(0);
    expect(results.slice(firstFailure).every((result) => !result.ok)).toBe(true);
    // A new leader serves, and the session carries on.
    await s.stabilize();
    await s.until(() => client.state === 'CONNECTED', 'the client reconnects');
    const after = issueAll([() => client.getChildren('/q', { sync: true })]);
    await s.until(() => after.order.length === 1, 'the children are read');
    const children = (after.results[0] as { ok: true; value: string[] }).value;
    const tree = s.cluster.node(s.leader())!.inspect().machine;
    const committed = [...children].sort().map((name) => {
      const read = tree.query({ type: 'getData', path: `/q/${name}` });
      return Number((read as { ok: true; value: { data: string } }).value.data);
    });
    // Committed writes are exactly the first k sent (k at least those answered ok), in sequence order.
    expect(committed).toEqual(Array.from({ length: committed.length }, (_, index) => index));
    expect(committed.length).toBeGreaterThanOrEqual(firstFailure);
  });
});
