import { assert } from '../assert.ts';
import type { Clock, TimerId } from '../clock.ts';
import type { SimWorld } from './world.ts';

export interface SimClockOptions {
  /** This server's milliseconds per world millisecond: 1.05 runs 5% fast. Must be > 0. */
  readonly rate: number;
  /** This clock's reading at world time 0. */
  readonly offsetMs: number;
}

/**
 * One server's clock in the simulator: skewed (`rate`) and offset against world time, with
 * timers that fire after `delayMs` of this clock, i.e. `delayMs / rate` world milliseconds.
 * `stop()` is the crash: every timer is cancelled and later timers never fire. A restarted
 * server gets a new SimClock; with the same options it reads the same time as the old one.
 */
export class SimClock implements Clock {
  readonly rate: number;
  readonly offsetMs: number;
  private readonly world: SimWorld;
  /** Invariant: world event ids of this clock's timers that have neither fired nor been cleared. */
  private readonly timers = new Set<number>();
  private stopped = false;
  /** While paused, timers that come due wait here and fire at `resume()` (a tab whose timers the browser throttles). */
  private paused: (() => void)[] | null = null;
  /** Ids handed out after stop(): negative, so they never collide with world event ids. */
  private lastDeadTimerId = 0;

  constructor(world: SimWorld, options: SimClockOptions) {
    assert(Number.isFinite(options.rate), () => `SimClock: rate ${options.rate} is not finite`);
    assert(options.rate > 0, () => `SimClock: rate ${options.rate} <= 0`);
    assert(Number.isFinite(options.offsetMs), () => `SimClock: offset ${options.offsetMs} is not finite`);
    this.world = world;
    this.rate = options.rate;
    this.offsetMs = options.offsetMs;
  }

  now(): number {
    return this.offsetMs + this.world.now * this.rate;
  }

  setTimer(delayMs: number, callback: () => void): TimerId {
    assert(Number.isFinite(delayMs), () => `SimClock.setTimer: delay ${delayMs} is not finite`);
    assert(delayMs >= 0, () => `SimClock.setTimer: delay ${delayMs} < 0`);
    // A crashed server runs no code; if something still sets a timer, it never fires.
    if (this.stopped) return --this.lastDeadTimerId;
    const id = this.world.scheduleAfter(delayMs / this.rate, () => {
      this.timers.delete(id);
      if (this.paused !== null) this.paused.push(callback);
      else callback();
    });
    this.timers.add(id);
    return id;
  }

  clearTimer(id: TimerId): void {
    if (this.timers.delete(id)) this.world.cancel(id);
  }

  /** Timers that come due from now on wait until `resume()` (the server's code runs, its clock does not tick). */
  pause(): void {
    this.paused ??= [];
  }

  /** Fires, in order, every timer that came due while paused; timers run normally again. */
  resume(): void {
    const due = this.paused ?? [];
    this.paused = null;
    if (this.stopped) return;
    for (const callback of due) callback();
  }

  /** The crash: cancels every timer; later timers never fire. */
  stop(): void {
    for (const id of this.timers) this.world.cancel(id);
    this.timers.clear();
    this.paused = null;
    this.stopped = true;
  }

  /** Timers set and neither fired nor cleared. */
  get pendingTimers(): number {
    return this.timers.size;
  }
}
