import { describe, expect, it, vi } from 'vitest';
import { settlesWithin, withTimeout } from './deadline.ts';

describe('withTimeout', () => {
  it('settles as the promise does when it is in time, and clears its timer', async () => {
    vi.useFakeTimers();
    try {
      const onTimeout = vi.fn(() => 'late');
      await expect(withTimeout(Promise.resolve('value'), 1000, onTimeout)).resolves.toBe('value');
      await expect(withTimeout(Promise.reject(new Error('no')), 1000, onTimeout)).rejects.toThrow('no');
      expect(vi.getTimerCount()).toBe(0);
      expect(onTimeout).not.toHaveBeenCalled();
    } finally {
      vi.useRealTimers();
    }
  });

  it('answers the fallback, or rejects with what onTimeout throws, once the time is up', async () => {
    vi.useFakeTimers();
    try {
      const never = new Promise<string>(() => {});
      const fallback = withTimeout(never, 1000, () => 'fallback');
      const failing = withTimeout(never, 2000, () => {
        throw new Error('no answer within 2000 ms');
      });
      const failed = expect(failing).rejects.toThrow('no answer within 2000 ms');
      await vi.advanceTimersByTimeAsync(999);
      let settled = false;
      void fallback.then(() => (settled = true));
      await Promise.resolve();
      expect(settled).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await expect(fallback).resolves.toBe('fallback');
      await vi.advanceTimersByTimeAsync(1000);
      await failed;
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('settlesWithin', () => {
  it('is true for a promise that resolves or rejects in time, false for one that does not', async () => {
    expect(await settlesWithin(Promise.resolve(1), 50)).toBe(true);
    expect(await settlesWithin(Promise.reject(new Error('x')), 50)).toBe(true);
    expect(await settlesWithin(new Promise(() => {}), 20)).toBe(false);
  });
});
