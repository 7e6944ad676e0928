import { describe, expect, it } from 'vitest';
import { Prng } from './prng.ts';

// Goal: a seed alone fixes every draw (replay), different seeds diverge, and draws are roughly
// uniform. Method: compare streams, and bucket counts against their expectation.

function draws(prng: Prng, count: number): number[] {
  return Array.from({ length: count }, () => prng.uint32());
}

describe('Prng', () => {
  it('gives the same stream for the same seed', () => {
    expect(draws(new Prng(42), 100)).toEqual(draws(new Prng(42), 100));
    expect(draws(new Prng(2 ** 52 + 7), 10)).toEqual(draws(new Prng(2 ** 52 + 7), 10));
  });

  it('gives different streams for nearby seeds, including seeds that differ only in high bits', () => {
    expect(draws(new Prng(1), 8)).not.toEqual(draws(new Prng(2), 8));
    expect(draws(new Prng(0), 8)).not.toEqual(draws(new Prng(2 ** 32), 8));
    expect(draws(new Prng(5), 8)).not.toEqual(draws(new Prng(-5), 8));
  });

  it('pins the stream of seed 1 (a change here silently changes every recorded seed)', () => {
    const prng = new Prng(1);
    expect(draws(prng, 3)).toEqual([739151856, 3646056862, 2925955649]);
  });

  it('draws next() in [0, 1) roughly uniformly', () => {
    const prng = new Prng(7);
    const buckets = new Array<number>(10).fill(0);
    const count = 100_000;
    let outside = 0;
    for (let i = 0; i < count; i++) {
      const value = prng.next();
      if (value < 0 || value >= 1) outside++;
      else buckets[Math.floor(value * 10)]!++;
    }
    expect(outside).toBe(0);
    for (const bucket of buckets) expect(Math.abs(bucket - count / 10)).toBeLessThan(count / 100);
  });

  it('draws int(min, max) over the whole inclusive range, uniformly', () => {
    const prng = new Prng(8);
    const counts = new Map<number, number>();
    for (let i = 0; i < 60_000; i++) {
      const value = prng.int(-2, 3);
      counts.set(value, (counts.get(value) ?? 0) + 1);
    }
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual([-2, -1, 0, 1, 2, 3]);
    for (const count of counts.values()) expect(Math.abs(count - 10_000)).toBeLessThan(500);
    expect(prng.int(5, 5)).toBe(5);
  });

  it('asserts bad int ranges and probabilities', () => {
    const prng = new Prng(9);
    expect(() => prng.int(3, 2)).toThrow(/min 3 > max 2/);
    expect(() => prng.int(0.5, 2)).toThrow(/not an integer/);
    expect(() => prng.chance(1.5)).toThrow(/> 1/);
    expect(() => prng.pick([])).toThrow(/no items/);
    expect(() => new Prng(0.5)).toThrow(/not a safe integer/);
  });

  it('hits chance(p) about p of the time; 0 never, 1 always', () => {
    const prng = new Prng(10);
    let hits = 0;
    for (let i = 0; i < 100_000; i++) if (prng.chance(0.3)) hits++;
    expect(Math.abs(hits - 30_000)).toBeLessThan(1_000);
    for (let i = 0; i < 1000; i++) {
      expect(prng.chance(0)).toBe(false);
      expect(prng.chance(1)).toBe(true);
    }
  });

  it('picks every item and shuffles into a permutation', () => {
    const prng = new Prng(11);
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) seen.add(prng.pick(['a', 'b', 'c']));
    expect([...seen].sort()).toEqual(['a', 'b', 'c']);
    const items = [1, 2, 3, 4, 5, 6, 7, 8];
    const shuffled = prng.shuffle(items);
    expect(shuffled).toBe(items);
    expect([...shuffled].sort()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const firsts = new Set<number>();
    for (let i = 0; i < 200; i++) firsts.add(prng.shuffle([1, 2, 3, 4])[0]!);
    expect(firsts.size).toBe(4);
  });

  it('forks deterministic, independent streams', () => {
    const parentA = new Prng(12);
    const parentB = new Prng(12);
    const forkA = parentA.fork();
    const forkB = parentB.fork();
    expect(draws(forkA, 20)).toEqual(draws(forkB, 20));
    // Draws on a fork do not move the parent.
    expect(draws(parentA, 5)).toEqual(draws(parentB, 5));
    expect(draws(parentA.fork(), 8)).not.toEqual(draws(parentA, 8));
    expect(draws(parentA.fork(), 8)).not.toEqual(draws(parentA.fork(), 8));
  });
});
