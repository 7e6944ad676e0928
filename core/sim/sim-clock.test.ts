import { describe, expect, it } from 'vitest';
import { SimClock } from './sim-clock.ts';
import { SimWorld } from './world.ts';

describe('SimClock', () => {
  it('reads offset + world time * rate', async () => {
    const world = new SimWorld();
    const clock = new SimClock(world, { rate: 1.05, offsetMs: 500 });
    expect(clock.now()).toBe(500);
    await world.runUntil(1000);
    expect(clock.now()).toBeCloseTo(1550, 9);
  });

  it('fires timers after delayMs of its own clock: a fast clock fires early in world time', async () => {
    // Goal: skew shows up in timeouts, as it will in election and sync timeouts. Method: two
    // clocks, 5% fast and 5% slow, each set a 1000 ms timer; compare world and clock times.
    const world = new SimWorld();
    const fast = new SimClock(world, { rate: 1.05, offsetMs: 0 });
    const slow = new SimClock(world, { rate: 0.95, offsetMs: 7 });
    const fired: string[] = [];
    fast.setTimer(1000, () => fired.push(`fast world=${world.now.toFixed(2)} clock=${fast.now().toFixed(2)}`));
    slow.setTimer(1000, () => fired.push(`slow world=${world.now.toFixed(2)} clock=${slow.now().toFixed(2)}`));
    await world.runUntil(2000);
    expect(fired).toEqual(['fast world=952.38 clock=1000.00', 'slow world=1052.63 clock=1007.00']);
  });

  it('clears a timer, and ignores clearing one that fired', async () => {
    const world = new SimWorld();
    const clock = new SimClock(world, { rate: 1, offsetMs: 0 });
    let fired = 0;
    const cleared = clock.setTimer(10, () => fired++);
    const kept = clock.setTimer(20, () => fired++);
    clock.clearTimer(cleared);
    expect(clock.pendingTimers).toBe(1);
    await world.runUntil(50);
    clock.clearTimer(kept);
    expect(fired).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('stop() cancels every timer, and later timers never fire', async () => {
    const world = new SimWorld();
    const clock = new SimClock(world, { rate: 1, offsetMs: 0 });
    let fired = 0;
    for (let i = 1; i <= 5; i++) clock.setTimer(i * 10, () => fired++);
    await world.runUntil(25);
    clock.stop();
    const late = clock.setTimer(1, () => fired++);
    expect(late).toBeLessThan(0);
    clock.clearTimer(late);
    await world.runUntil(100);
    expect(fired).toBe(2);
    expect(world.pendingEvents).toBe(0);
  });

  it('asserts bad rates and delays', () => {
    const world = new SimWorld();
    expect(() => new SimClock(world, { rate: 0, offsetMs: 0 })).toThrow(/rate 0 <= 0/);
    const clock = new SimClock(world, { rate: 1, offsetMs: 0 });
    expect(() => clock.setTimer(-1, () => {})).toThrow(/delay -1 < 0/);
    expect(() => clock.setTimer(Number.NaN, () => {})).toThrow(/not finite/);
  });
});
