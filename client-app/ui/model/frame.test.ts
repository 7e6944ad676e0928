import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { frameScheduler, MAX_INTERVAL_MS, VIEW_SHARE } from './frame.ts';

/** The next task: where the scheduler's after-render measurement (a MessageChannel message) lands. */
const nextTask = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('frameScheduler', () => {
  beforeEach(() => {
    // Timers and the clock are fake; MessageChannel and setImmediate stay real (they carry the
    // measurement of each render to the next task).
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Moves the clock by `ms` (the timers due fire), then lets the last run's measurement arrive. */
  async function pass(ms: number): Promise<void> {
    await vi.advanceTimersByTimeAsync(ms);
    await nextTask();
  }

  it('coalesces calls into one run and keeps the minimum interval while renders are cheap', async () => {
    let runs = 0;
    const schedule = frameScheduler(() => runs++, 100, 250);
    schedule();
    schedule();
    schedule();
    await pass(250);
    expect(runs).toBe(1);
    expect(schedule.intervalMs).toBe(100);
    schedule();
    await vi.advanceTimersByTimeAsync(99);
    expect(runs).toBe(1);
    await vi.advanceTimersByTimeAsync(251);
    expect(runs).toBe(2);
  });

  it('waits longer after costly renders, so that rendering takes at most its share of the thread', async () => {
    let runs = 0;
    // Each run takes 30 ms of the thread (the fake clock moves while it runs).
    const schedule = frameScheduler(() => {
      runs++;
      vi.advanceTimersByTime(30);
    }, 100, 250);
    schedule();
    await pass(250);
    expect(runs).toBe(1);
    expect(schedule.intervalMs).toBeCloseTo(30 / VIEW_SHARE, 5);
    // The next call waits out the longer interval from the last run's start.
    schedule();
    await vi.advanceTimersByTimeAsync(200);
    expect(runs).toBe(1);
    await pass(400);
    expect(runs).toBe(2);
  });

  it('never waits more than MAX_INTERVAL_MS, however costly a render', async () => {
    let runs = 0;
    const schedule = frameScheduler(() => {
      runs++;
      vi.advanceTimersByTime(400);
    }, 100, 250);
    schedule();
    await pass(250);
    expect(schedule.intervalMs).toBe(MAX_INTERVAL_MS);
    schedule();
    await pass(MAX_INTERVAL_MS + 250);
    expect(runs).toBe(2);
  });

  it('comes back to the minimum interval once renders are cheap again', async () => {
    let cost = 40;
    const schedule = frameScheduler(() => vi.advanceTimersByTime(cost), 100, 250);
    schedule();
    await pass(250);
    expect(schedule.intervalMs).toBeGreaterThan(300);
    cost = 0;
    for (let round = 0; round < 20; round++) {
      schedule();
      await pass(MAX_INTERVAL_MS + 250);
    }
    expect(schedule.intervalMs).toBe(100);
  });
});
