import { describe, expect, it } from 'vitest';
import type { Message } from '../messages.ts';
import { Scenario } from './scenario.ts';

/**
 * Issue 10, item 2, named: catch-up messages must fit what the transport carries. 300 writes of
 * 60 KiB while a follower is down make 18 MB of proposals after its last zxid; a DIFF cut by
 * count (1,000 proposals) would be one 18.5 MB message, which the simulated network refuses as
 * a DataChannel's framing would (the run fails, see SimCluster's onOversized). Cut by bytes, the
 * follower gets them as DIFFs of about 1 MiB and serves again.
 */
describe('Cluster: catch-up of a follower behind by 18 MB of proposals', () => {
  it('300 writes of 60 KiB while S1 is down: S1 rejoins by DIFFs that each fit the transport', async () => {
    const s = await Scenario.started({ voters: 3, snapshotEveryTxns: 1000, retainLogTxns: 1000 });
    const leader = s.leader();
    const follower = s.followers()[0]!;
    s.cluster.crash(follower);
    const value = 'x'.repeat(60 * 1024);
    for (let index = 0; index < 300; index++) expect((await s.write(leader, `k${index % 7}`, `${index}:${value}`)).ok).toBe(true);
    const diffs: number[] = [];
    s.cluster.onDelivery((_from, to, message) => {
      const sent = message as Message;
      if (to === follower && sent.kind === 'DIFF') diffs.push(sent.proposals.length);
    });
    s.cluster.start(follower);
    await s.until(() => s.node(follower).serving, `server ${follower} serves again`, 10_000);
    expect(diffs.reduce((sum, count) => sum + count, 0)).toBeGreaterThanOrEqual(300);
    expect(diffs.length, 'the proposals came in several DIFFs').toBeGreaterThan(10);
    expect(s.value(follower, 'k0')?.startsWith('294:')).toBe(true);
  });
});
