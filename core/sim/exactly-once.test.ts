import { describe, expect, it } from 'vitest';
import { TabKeeperClient } from '../client/tabkeeper-client.ts';
import type { ApplyResult } from '../state-machine.ts';
import { DataTree } from '../tree/index.ts';
import type { ServerId } from '../types.ts';
import { Scenario } from './scenario.ts';
import { SimClock } from './sim-clock.ts';

/**
 * Exactly-once writes across failover (issue 10, item 5): a sequential create whose answer is
 * lost with the server the client was attached to. Retried blindly it would create a second
 * node; a numbered write is applied once and its original answer returned.
 */
async function lostAnswer(exactlyOnce: boolean): Promise<{ result: ApplyResult; children: string[]; retriedOn: ServerId | null }> {
  const s = await Scenario.started({ voters: 3, createMachine: () => new DataTree() });
  const leader = s.leader();
  const [attached] = s.followers();
  let retriedOn: ServerId | null = null;
  const client = new TabKeeperClient({
    sessionId: 'app-1',
    sessionTimeoutMs: 4000,
    clock: new SimClock(s.world, { rate: 1, offsetMs: 0 }),
    exactlyOnce,
    pickServer: (previous) => {
      if (previous === null) return s.node(attached!);
      const other = s.cluster.running().find((sid) => sid !== previous && s.node(sid).serving);
      if (other !== undefined) retriedOn = other;
      return other === undefined ? null : s.node(other);
    },
  });
  await s.until(() => client.state === 'CONNECTED', 'the client is connected');
  let parent: ApplyResult | null = null;
  client.call({ kind: 'write', request: { type: 'create', path: '/q', data: '', ephemeral: false, sequential: false, sessionId: null }, path: '/q' }, (result) => (parent = result));
  await s.until(() => parent !== null, 'the parent is created');

  // The attached server never learns the commit, so it never answers; then it crashes.
  s.drop((_from, to, message) => to === attached && message.kind === 'transaction_commit');
  let result: ApplyResult | null = null;
  const create = { type: 'create', path: '/q/n-', data: 'x', ephemeral: false, sequential: true, sessionId: null };
  client.call({ kind: 'write', request: create, path: '/q/n-' }, (answer) => (result = answer));
  const tree = (sid: ServerId) => s.node(sid).inspect().machine as DataTree;
  const children = (sid: ServerId) => (tree(sid).query({ type: 'getChildren', path: '/q' }) as unknown as { value: { children: string[] } }).value.children;
  await s.until(() => children(leader).length === 1, 'the leader committed the create');
  s.cluster.crash(attached!);
  s.deliverAll();
  await s.until(() => result !== null, 'the create is answered');
  await s.run(500);
  await s.stabilize();
  return { result: result!, children: children(leader), retriedOn };
}

describe('Client: exactly-once writes across failover', () => {
  it('a sequential create whose answer was lost with its server is applied once and answered with its original path', async () => {
    const { result, children, retriedOn } = await lostAnswer(true);
    expect(retriedOn).not.toBeNull();
    expect(result).toMatchObject({ ok: true, value: { path: '/q/n-0000000000' } });
    expect(children).toEqual(['n-0000000000']);
  });

  it('without numbered writes the same loss is an unknown outcome (ConnectionLoss), as in ZooKeeper', async () => {
    const { result, children } = await lostAnswer(false);
    expect(result).toEqual({ ok: false, error: 'ConnectionLoss' });
    expect(children).toEqual(['n-0000000000']);
  });

  it('the remembered results survive a snapshot: a retry answered by a server restored from one', () => {
    const tree = new DataTree();
    const zxid = (counter: number) => ({ epoch: 1, counter });
    const prepareApply = (op: unknown, counter: number) => tree.apply(tree.prepare(op as never, { timeMs: 0 }), zxid(counter)).result;
    prepareApply({ type: 'createSession', sessionId: 's', timeoutMs: 1000 }, 1);
    const write = { type: 'once', sessionId: 's', requestNumber: 1, request: { type: 'create', path: '/a-', data: '', ephemeral: false, sequential: true, sessionId: 's' } };
    expect(prepareApply(write, 2)).toMatchObject({ ok: true, value: { path: '/a-0000000000' } });
    const restored = new DataTree();
    restored.restore(JSON.parse(JSON.stringify(tree.snapshot())));
    expect(restored.digest()).toBe(tree.digest());
    const retry = restored.apply(restored.prepare(write, { timeMs: 0 }), zxid(3));
    expect(retry.result).toMatchObject({ ok: true, value: { path: '/a-0000000000' } });
    expect((restored.query({ type: 'getChildren', path: '/' }) as unknown as { value: { children: string[] } }).value.children).toEqual(['a-0000000000']);
    // Closing the session forgets its results.
    restored.apply(restored.prepare({ type: 'closeSession', sessionId: 's' }, { timeMs: 0 }), zxid(4));
    expect(JSON.stringify(restored.snapshot())).not.toContain('requestNumber');
  });
});
