import { describe, expect, it } from 'vitest';
import { compareZxid, formatZxid, isSuccessor, nextZxid, parseZxid, zxid, ZERO_ZXID } from './zxid.ts';

describe('zxid', () => {
  it('orders by epoch first, then counter', () => {
    expect(compareZxid(zxid(1, 9), zxid(2, 0))).toBeLessThan(0);
    expect(compareZxid(zxid(2, 3), zxid(2, 1))).toBeGreaterThan(0);
    expect(compareZxid(zxid(2, 3), zxid(2, 3))).toBe(0);
  });

  it('restarts the counter in a new epoch: the first proposal of an epoch is counter 1', () => {
    expect(nextZxid(zxid(1, 7), 1)).toEqual(zxid(1, 8));
    expect(nextZxid(zxid(1, 7), 3)).toEqual(zxid(3, 1));
    expect(nextZxid(ZERO_ZXID, 1)).toEqual(zxid(1, 1));
    expect(() => nextZxid(zxid(4, 1), 3)).toThrow(/before last zxid/);
  });

  it('accepts only direct successors, so a lost message is a visible gap', () => {
    expect(isSuccessor(zxid(1, 7), zxid(1, 8))).toBe(true);
    expect(isSuccessor(zxid(1, 7), zxid(1, 9))).toBe(false);
    expect(isSuccessor(zxid(1, 7), zxid(2, 1))).toBe(true);
    expect(isSuccessor(zxid(1, 7), zxid(2, 2))).toBe(false);
    expect(isSuccessor(zxid(2, 1), zxid(1, 2))).toBe(false);
  });

  it('serializes as two integers and parses back', () => {
    const big = zxid(0xffff_fff0, 0xffff_ffff);
    expect(JSON.parse(JSON.stringify(big))).toEqual(big);
    expect(formatZxid(zxid(3, 7))).toBe('3:7');
    expect(parseZxid('3:7')).toEqual(zxid(3, 7));
    expect(() => parseZxid('3.7')).toThrow(/not a zxid/);
  });
});
