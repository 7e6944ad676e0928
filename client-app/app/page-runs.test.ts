import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TabKeeperClient } from '../../core/client/tabkeeper-client.ts';
import type { ZabNode } from '../../core/node.ts';
import { PageRuns } from './page-runs.ts';

/**
 * run() answers what the client answers, or ConnectionLoss once an operation has been in flight
 * for its timeout, with one sweep for all runs instead of a timer each.
 */

/** A client whose setData answers only when the test says so. */
function heldClient() {
  const answers: ((stat: unknown) => void)[] = [];
  const client = { sessionId: 'tab-1-test', setData: () => new Promise((resolve) => answers.push(resolve)) } as unknown as TabKeeperClient;
  return { client, answers };
}

const SET = { op: 'set', path: '/a', data: 'x', version: -1 } as const;

describe('PageRuns', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance'] }));
  afterEach(() => vi.useRealTimers());

  it('answers the client’s result, and ConnectionLoss for a run still in flight after 15 s', async () => {
    const { client, answers } = heldClient();
    const node = { serving: true } as unknown as ZabNode;
    const runs = new PageRuns(() => ({ node, client, seat: 1 }), () => undefined);
    const first = runs.run(SET);
    await vi.advanceTimersByTimeAsync(5_000);
    const second = runs.run(SET);
    await vi.advanceTimersByTimeAsync(1);
    answers[0]!({ version: 1 });
    await expect(first).resolves.toEqual({ ok: true, value: { version: 1 } });
    let settled = false;
    void second.then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(13_000); // 13 s after it started: still waiting
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(3_000);
    await expect(second).resolves.toEqual({ ok: false, error: 'ConnectionLoss' });
    expect(runs.history()).toHaveLength(2);
    // Nothing in flight: the sweep stopped, no timer is left behind.
    await vi.advanceTimersByTimeAsync(2_000);
    expect(vi.getTimerCount()).toBe(0);
  });
});
