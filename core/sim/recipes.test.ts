import { describe, expect, it } from 'vitest';
import { TabKeeperClient } from '../client/tabkeeper-client.ts';
import { LeaderElection } from '../recipes/leader-election.ts';
import { DistributedLock } from '../recipes/lock.ts';
import { DataTree } from '../tree/index.ts';
import type { Prng } from './prng.ts';
import { Scenario } from './scenario.ts';
import { SimClock } from './sim-clock.ts';
import { MARK } from '../marks.ts';

/**
 * Goal: the lock and leader-election recipes, built only on the public client API, never have
 * two holders (or leaders) at once, and recover when a holder dies, under server crashes,
 * restarts and partitions. Method: simulated 3-server clusters with the real data tree; client
 * loops contend while faults are injected; a monitor checks, every simulated millisecond, how
 * many clients believe they hold the lock.
 */

const SESSION_TIMEOUT_MS = 1500;

function newClient(s: Scenario, prng: Prng, name: string): TabKeeperClient {
  return new TabKeeperClient({
    sessionId: name,
    sessionTimeoutMs: SESSION_TIMEOUT_MS,
    clock: new SimClock(s.world, { rate: 1, offsetMs: 0 }),
    pickServer: (previous) => s.cluster.pickServingServer(prng, previous),
    onPromiseSettled: () => s.world.noteSettledPromise(),
  });
}

function sleep(s: Scenario, ms: number): Promise<void> {
  return new Promise((resolve) =>
    s.world.scheduleAfter(ms, () => {
      resolve();
      s.world.noteSettledPromise();
    }),
  );
}

/** Random server faults: crash, restart, partition, heal. */
function injectServerFaults(s: Scenario, prng: Prng, untilMs: number): void {
  const step = () => {
    if (s.world.now >= untilMs) return;
    const running = s.cluster.running();
    const down = s.cluster.sids().filter((sid) => !s.cluster.isRunning(sid));
    const roll = prng.next();
    if (roll < 0.25 && running.length > 0) s.cluster.crash(prng.pick(running));
    else if (roll < 0.6 && down.length > 0) s.cluster.start(prng.pick(down));
    else if (roll < 0.75) {
      const isolated = prng.pick(s.cluster.sids());
      s.cluster.network.partition([[isolated], s.cluster.sids().filter((sid) => sid !== isolated)], { notify: prng.chance(0.5) });
    } else s.cluster.network.heal();
    s.world.scheduleAfter(prng.int(100, 800), step);
  };
  s.world.scheduleAfter(prng.int(100, 800), step);
}

/** Heals everything and restarts every server: the liveness phase. */
function healAll(s: Scenario): void {
  s.cluster.network.heal();
  for (const sid of s.cluster.sids()) s.cluster.start(sid);
}

interface Contender {
  client: TabKeeperClient;
  holds: () => boolean;
  wins: number;
  dead: boolean;
}

async function contend(seed: number, recipe: 'lock' | 'election'): Promise<{ wins: number; maxHolders: number; expiries: number; sessionsExpired: number }> {
  const s = await Scenario.started({ voters: 3, seed, createMachine: () => new DataTree() });
  const prng = s.cluster.prng.fork();
  const faultsUntilMs = s.world.now + 6000;
  const contenders: Contender[] = [];
  let maxHolders = 0;
  let expiries = 0;

  const run = async (index: number) => {
    let generation = 0;
    for (;;) {
      const client = newClient(s, prng, `c${index}-g${generation++}`);
      const lock = recipe === 'lock' ? new DistributedLock(client, '/lock') : new LeaderElection(client, '/election');
      const contender: Contender = { client, holds: () => (lock instanceof DistributedLock ? lock.isHeld : lock.isLeader), wins: 0, dead: false };
      contenders[index] = contender;
      try {
        for (;;) {
          if (lock instanceof DistributedLock) await lock.acquire();
          else await lock.campaign();
          contender.wins++;
          await sleep(s, prng.int(5, 120));
          // Sometimes the holder's process dies while holding: its session must expire.
          if (s.world.now < faultsUntilMs && prng.chance(0.15)) {
            contender.dead = true;
            client.abandon();
            return;
          }
          if (lock instanceof DistributedLock) await lock.release();
          else await lock.resign();
        }
      } catch {
        // SessionExpired (or a dead session's calls): start over with a new session.
        expiries++;
        client.abandon();
      }
    }
  };
  for (let index = 0; index < 4; index++) void run(index);
  const monitor = () => {
    const holders = contenders.filter((contender) => contender && contender.holds()).length;
    maxHolders = Math.max(maxHolders, holders);
    s.world.scheduleAfter(1, monitor);
  };
  monitor();
  injectServerFaults(s, prng, faultsUntilMs);
  await s.run(faultsUntilMs - s.world.now);
  healAll(s);
  const winsAtHeal = contenders.reduce((sum, contender) => sum + contender.wins, 0);
  await s.until(
    () => contenders.reduce((sum, contender) => sum + contender.wins, 0) >= winsAtHeal + 3,
    'the recipe makes progress once the cluster heals',
    30_000,
  );
  const wins = contenders.reduce((sum, contender) => sum + contender.wins, 0);
  return { wins, maxHolders, expiries, sessionsExpired: s.mark(MARK.leaderExpiresSession) };
}

/** Runs `contend` over 12 seeds; checks one holder at a time in each, and returns the totals. */
async function contendSeeds(firstSeed: number, recipe: 'lock' | 'election'): Promise<{ wins: number; sessionsExpired: number }> {
  let wins = 0;
  let sessionsExpired = 0;
  for (let seed = firstSeed; seed < firstSeed + 12; seed++) {
    const result = await contend(seed, recipe);
    expect(result.maxHolders, `seed ${seed}: two ${recipe === 'lock' ? 'holders' : 'leaders'} at once`).toBeLessThanOrEqual(1);
    wins += result.wins;
    sessionsExpired += result.sessionsExpired;
  }
  return { wins, sessionsExpired };
}

describe('recipes under faults', () => {
  it('the distributed lock never has two holders, and passes on when a holder dies', async () => {
    const { wins, sessionsExpired } = await contendSeeds(1, 'lock');
    expect(wins).toBeGreaterThan(100);
    // Holders died holding the lock: only the expiry of their sessions let the others go on.
    expect(sessionsExpired).toBeGreaterThan(5);
  });

  it('leader election among clients never has two leaders, and a new one takes over when the leader dies', async () => {
    const { wins, sessionsExpired } = await contendSeeds(101, 'election');
    expect(wins).toBeGreaterThan(100);
    expect(sessionsExpired).toBeGreaterThan(5);
  });
});
