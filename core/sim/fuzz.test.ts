import { describe, expect, it } from 'vitest';
import { JUNK_KINDS } from './junk.ts';
import { runSeed } from './run-seed.ts';

/**
 * Goal: bad input from peers is refused at the boundary and never crashes a server or corrupts
 * what it stores. Method: simulator seeds with the junk injector feeding thousands of random and
 * malformed messages (wrong types, unknown kinds, absurd zxids, oversized payloads, spoofed
 * senders, unknown sids, replays of old epochs) between real traffic, under the usual faults;
 * every seed must pass all safety and liveness checks, and servers must refuse no real message.
 */
describe('bad input from peers', () => {
  it('thousands of malformed messages between real traffic leave the cluster correct', async () => {
    const injected = new Map<string, number>();
    let malformed = 0;
    let refused = 0;
    const failures: string[] = [];
    for (let seed = 1; seed <= 40; seed++) {
      const result = await runSeed({
        seed,
        voters: 3,
        observers: seed % 2,
        trace: false,
        junk: { perSecond: 300, oversized: seed % 10 === 0 },
      });
      malformed += result.junk.malformed;
      refused += result.junk.refused;
      for (const [kind, count] of Object.entries(result.junkByKind)) injected.set(kind, (injected.get(kind) ?? 0) + count);
      if (!result.ok) failures.push(`seed ${seed} failed with junk:\n${result.summary}\n${result.failure}`);
    }
    expect(failures, failures.join('\n\n')).toEqual([]);
    for (const kind of JUNK_KINDS) expect(injected.get(kind) ?? 0, `junk kind ${kind} injected`).toBeGreaterThan(10);
    expect(malformed).toBeGreaterThan(5000);
    // Junk sent to a crashed server or over a cut link is lost; most of it arrives and is refused.
    expect(refused).toBeGreaterThan(malformed / 4);
  });
});
