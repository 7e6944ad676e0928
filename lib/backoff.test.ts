import { describe, expect, it } from 'vitest';
import { backoffMs } from './backoff.ts';

describe('backoffMs', () => {
  it('starts at firstMs and doubles up to maxMs', () => {
    const schedule = [0, 1, 2, 3, 4, 5, 6].map((attempt) => backoffMs(attempt, { firstMs: 100, maxMs: 2000 }));
    expect(schedule).toEqual([100, 200, 400, 800, 1600, 2000, 2000]);
  });

  it('stays at maxMs for any number of attempts (no overflow to Infinity or NaN)', () => {
    expect(backoffMs(10_000, { firstMs: 50, maxMs: 2000 })).toBe(2000);
    expect(backoffMs(-1, { firstMs: 50, maxMs: 2000 })).toBe(50);
  });

  it('spreads each pause by ±jitter', () => {
    const options = { firstMs: 100, maxMs: 2000, jitter: 0.25 };
    expect(backoffMs(2, options, () => 0)).toBe(300);
    expect(backoffMs(2, options, () => 0.5)).toBe(400);
    expect(backoffMs(2, options, () => 0.999_999)).toBeCloseTo(500, 3);
  });
});
