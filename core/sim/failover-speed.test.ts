import { describe, expect, it } from 'vitest';
import { MARK, STEP_DOWN } from '../marks.ts';
import { Scenario } from './scenario.ts';

/**
 * How fast the cluster serves again after losing its leader, and that a follower which lost
 * proposals on a link that stayed open does not serve a stale state for good (issue 12's
 * failover targets; core/looking.ts, core/following.ts). Scenario timing: ticks of 20 ms,
 * electionTimeout 5 ticks (100 ms), syncLimit 10 ticks.
 */

const ELECTION_TIMEOUT_MS = 5 * 20;
const SYNC_LIMIT_MS = 10 * 20;

describe('Cluster: failover speed', () => {
  it('after a clean leader close the round ends as soon as the other voter defers: leader established well within electionTimeout', async () => {
    const s = await Scenario.started({ voters: 3 });
    expect(s.leader()).toBe(3);
    await s.write(3, 'a', 'before');
    const early = s.mark(MARK.roundEndsEarly);
    const closedAt = s.world.now;
    s.cluster.close(3);
    await s.until(() => s.cluster.leader() !== null, 'a new leader is established', 2000);
    const elapsed = s.world.now - closedAt;
    expect(s.mark(MARK.roundEndsEarly)).toBeGreaterThan(early);
    // A round that waits out its deadline alone takes ELECTION_TIMEOUT_MS; here the whole
    // failover (link down, reload, one election round trip, discovery, sync) takes less.
    expect(elapsed).toBeLessThan(ELECTION_TIMEOUT_MS);
    expect(s.cluster.leader()).toBe(2);
    expect(await s.write(2, 'a', 'after')).toEqual({ ok: true, value: null });
  });

  it('after a silent leader crash the followers leave it for its silence and the round does not wait for it either', async () => {
    const s = await Scenario.started({ voters: 3 });
    await s.write(3, 'a', 'before');
    const early = s.mark(MARK.roundEndsEarly);
    const crashedAt = s.world.now;
    // No link-down for seat 3 (a dead renderer's channel stays open): only its silence tells.
    s.cluster.crash(3);
    await s.until(() => s.cluster.leader() !== null, 'a new leader is established', 2000);
    expect(s.mark(MARK.roundEndsEarly)).toBeGreaterThan(early);
    // syncLimit of silence, then one round trip: a round that waited out its deadline would add ELECTION_TIMEOUT_MS.
    expect(s.world.now - crashedAt).toBeLessThan(SYNC_LIMIT_MS + ELECTION_TIMEOUT_MS);
    expect(await s.write(s.cluster.leader()!, 'a', 'after')).toEqual({ ok: true, value: null });
  });

  it('a follower that lost a proposal on a link that stayed open resyncs at the next PING instead of serving a stale state', async () => {
    const s = await Scenario.started({ voters: 3 });
    const leader = s.leader();
    const follower = s.followers()[0]!;
    await s.write(leader, 'a', 'one');
    // The proposal and its commit never reach the follower; its link stays open and no write follows.
    const release = s.drop((_from, to, message) => to === follower && (message.kind === 'transaction_proposal' || message.kind === 'transaction_commit'));
    await s.write(leader, 'a', 'two');
    release();
    await s.until(() => s.node(follower).serving && s.value(follower, 'a') === 'two', 'the follower holds the last write again', 2000);
    expect(s.mark(STEP_DOWN.missedProposals)).toBeGreaterThan(0);
  });
});
