import { describe, expect, it } from 'vitest';
import type { Message } from '../messages.ts';
import type { ServerId } from '../types.ts';
import { Scenario } from './scenario.ts';

/**
 * Issue 12: a reopened tab with 20 MiB of state waited ~15 s to serve. Its SNAP holds the
 * DataChannel for seconds, and everything the leader sends after it — its PINGs — waits behind
 * it on the FIFO link. The leader, hearing nothing from the learner for syncLimit, dropped it
 * mid-sync and ignored its NEWLEADER ack; a sync longer than initLimit started over, SNAP and
 * all, for ever. Here links carry 5,000 bytes/ms (SimNetwork.setBandwidth), so a 12 MiB SNAP
 * takes ~2.5 s: ten times syncLimit and five times initLimit of the scenario's timing.
 */
const VALUES = 12;
const VALUE = 'x'.repeat(1024 * 1024 - 16);

describe('Cluster: a SNAP that holds the link longer than syncLimit and initLimit', () => {
  it('S1 comes back behind 12 MiB of state: one SNAP brings it back, and it serves', async () => {
    const s = await Scenario.started({ voters: 3, snapshotEveryTxns: 4, retainLogTxns: 2 });
    const leader = s.leader();
    const follower = s.followers()[0]!;
    s.cluster.crash(follower);
    for (let index = 0; index < VALUES; index++) expect((await s.write(leader, `k${index}`, `${index}:${VALUE}`)).ok).toBe(true);

    const snapsStarted: ServerId[] = [];
    let lookingAgain = 0;
    s.cluster.onDelivery((from, to, message) => {
      const sent = message as Message;
      if (to === follower && sent.kind === 'SNAP' && sent.index === 0) snapsStarted.push(from);
      if (from === follower && sent.kind === 'election' && snapsStarted.length > 0) lookingAgain++;
    });
    s.cluster.network.setBandwidth(5_000);
    const startedAt = s.world.now;
    s.cluster.start(follower);
    await s.until(() => s.node(follower).serving, `server ${follower} serves again`, 30_000);
    const tookMs = s.world.now - startedAt;

    expect(snapsStarted, 'SNAP transfers to the follower').toHaveLength(1);
    expect(lookingAgain, 'elections the follower started after its SNAP began').toBe(0);
    // It is the transfer (12 MiB at 5,000 bytes/ms) that takes the time, not a retry.
    expect(tookMs, 'ms from restart to serving').toBeGreaterThan(2_000);
    for (let index = 0; index < VALUES; index++) expect(s.value(follower, `k${index}`), `k${index}`).toBe(`${index}:${VALUE}`);
    s.check();
  });
});
