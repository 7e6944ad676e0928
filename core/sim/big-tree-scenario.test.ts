import { describe, expect, it } from 'vitest';
import type { Message } from '../messages.ts';
import type { ApplyResult } from '../state-machine.ts';
import { DataTree } from '../tree/index.ts';
import { MAX_MULTI_OPS } from '../tree/limits.ts';
import type { Stat } from '../tree/stat.ts';
import type { Json, ServerId } from '../types.ts';
import { Scenario } from './scenario.ts';

/**
 * Issue 10: a tree of 100,000 znodes, the size where whole-tree work starts to show. It is built
 * through the protocol (a hundred multis of a thousand creates) while a follower is down, so the
 * follower must come back by SNAP: a snapshot of ~100k znodes that no single transport message
 * may carry, sent in chunks and installed only once whole. Then every server restarts from its
 * own storage (snapshot + log) and serves the same tree again. The StateChecker compares
 * digests throughout; the real codec and the transport's size limit apply to every message.
 */
const ZNODES = 100_000;

describe('Cluster: a data tree of 100k znodes', () => {
  it('is built while a follower is down; the follower catches up by SNAP in chunks; every server reloads it from storage', { timeout: 240_000 }, async () => {
    const s = await Scenario.started({ voters: 3, createMachine: () => new DataTree(), snapshotEveryTxns: 40, retainLogTxns: 10 });
    const leader = s.leader();
    const follower = s.followers()[0]!;
    const tree = (sid: ServerId) => s.node(sid).inspect().machine as DataTree;
    /** Sends `op` through server `sid` and runs the simulation until it is answered. */
    const request = async (sid: ServerId, op: Json): Promise<ApplyResult> => {
      let answer: ApplyResult | null = null;
      s.node(sid).request('op', op, (result) => (answer = result));
      await s.until(() => answer !== null, `${JSON.stringify(op).slice(0, 60)} through ${sid} completes`, 30_000);
      return answer!;
    };
    const childCount = (sid: ServerId): number => {
      const answer = tree(sid).query({ type: 'exists', path: '/big' }) as unknown as { ok: boolean; value: Stat | null };
      return answer.ok && answer.value !== null ? answer.value.numChildren : -1;
    };

    expect((await request(leader, { type: 'create', path: '/big', data: '', ephemeral: false, sequential: false, sessionId: null })).ok).toBe(true);
    s.cluster.crash(follower);
    for (let batch = 0; batch < ZNODES / MAX_MULTI_OPS; batch++) {
      const ops = Array.from({ length: MAX_MULTI_OPS }, (_, index) => ({
        type: 'create',
        path: `/big/n${String(batch * MAX_MULTI_OPS + index).padStart(6, '0')}`,
        data: `v${batch}`,
        ephemeral: false,
        sequential: false,
      }));
      expect((await request(leader, { type: 'multi', ops, sessionId: null })).ok, `multi ${batch}`).toBe(true);
    }
    expect(childCount(leader)).toBe(ZNODES);

    const snapChunks: number[] = [];
    s.cluster.onDelivery((_from, to, message) => {
      if (to === follower && (message as Message).kind === 'SNAP') snapChunks.push(1);
    });
    s.cluster.start(follower);
    await s.until(() => s.node(follower).serving, `server ${follower} serves again`, 60_000);
    expect(snapChunks.length, 'the snapshot came in several chunks').toBeGreaterThan(1);
    expect(childCount(follower)).toBe(ZNODES);
    expect(tree(follower).digest()).toBe(tree(leader).digest());

    for (const sid of s.cluster.sids()) s.cluster.crash(sid);
    for (const sid of s.cluster.sids()) s.cluster.start(sid);
    await s.stabilize(60_000);
    const digests = new Set(s.cluster.sids().map((sid) => tree(sid).digest()));
    expect(digests.size).toBe(1);
    for (const sid of s.cluster.sids()) expect(childCount(sid), `server ${sid} after reload`).toBe(ZNODES);
    s.check();
  });
});
