import { describe, expect, it } from 'vitest';
import { Scenario } from '../sim/scenario.ts';
import { SimClock } from '../sim/sim-clock.ts';
import type { ApplyResult } from '../state-machine.ts';
import { DataTree } from '../tree/index.ts';
import { TabKeeperClient } from './tabkeeper-client.ts';

/**
 * How soon a client resumes once its server serves again. A client that lost its connection
 * looks for a server every `pollMs`; it must not wait for the connected state's touch interval
 * (a third of the session timeout) however it learned of the loss: from its server's serving
 * change, or from a write in flight answered ConnectionLoss.
 */
describe('TabKeeperClient reconnecting after a failover', () => {
  it("a numbered write in flight when the leader crashes goes out again within pollMs of its server's serving again", async () => {
    const s = await Scenario.started({ voters: 3, createMachine: () => new DataTree() });
    const leader = s.leader();
    const attached = s.followers()[0]!;
    const sessionTimeoutMs = 9_000;
    const pollMs = 20;
    const clock = new SimClock(s.world, { rate: 1, offsetMs: 0 });
    const client = new TabKeeperClient({ sessionId: 'app-1', sessionTimeoutMs, pollMs, clock, exactlyOnce: true, pickServer: () => s.node(attached) });
    await s.until(() => client.state === 'CONNECTED', 'the client is connected');
    const node = s.node(attached);
    let servingAgainAt: number | null = null;
    node.onServingChange((serving) => {
      if (serving && servingAgainAt === null) servingAgainAt = clock.now();
    });

    // The leader never commits the write: the attached server answers it ConnectionLoss when it goes LOOKING.
    s.drop((from) => from === leader);
    let result: ApplyResult | null = null;
    client.call({ kind: 'write', request: { type: 'create', path: '/a', data: 'x', ephemeral: false, sequential: false, sessionId: null }, path: '/a' }, (answer) => (result = answer));
    await s.run(5);
    s.cluster.crash(leader);
    await s.until(() => result !== null, 'the write is answered', 30_000);
    const answeredAt = clock.now();
    expect(result).toMatchObject({ ok: true, value: { path: '/a' } });
    expect(servingAgainAt, 'the attached server served again').not.toBeNull();
    // The write needs one round to a quorum once sent again: well under the connected touch interval.
    expect(answeredAt - servingAgainAt!, 'from serving again to the retried write answered (ms)').toBeLessThan(pollMs + 500);
    expect(answeredAt - servingAgainAt!).toBeLessThan(sessionTimeoutMs / 3);
  });
});
