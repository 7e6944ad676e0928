import type { Clock, TimerId } from '../../core/clock.ts';

/**
 * The driver's clock in a tab. `now()` is wall-clock milliseconds with sub-millisecond
 * resolution (performance.timeOrigin + performance.now(): monotonic within the page, and new
 * pages start later than old ones, so the node's request ids never repeat across reloads).
 *
 * Timers run in a small dedicated worker when one can be made: browsers throttle the main
 * thread's timers in background tabs to about one per second, which would make a background
 * leader miss its heartbeats (syncLimit is about a second), while a worker's timers and its
 * messages to the page are not throttled that way. Without a worker it falls back to setTimeout.
 */
const WORKER_SOURCE = `
const timers = new Map();
onmessage = (event) => {
  const [kind, id, delayMs] = event.data;
  if (kind === 'set') timers.set(id, setTimeout(() => { timers.delete(id); postMessage(id); }, delayMs));
  else { clearTimeout(timers.get(id)); timers.delete(id); }
};
`;

export class BrowserClock implements Clock {
  private readonly worker: Worker | null;
  private readonly callbacks = new Map<TimerId, () => void>();
  private nextId = 1;

  constructor() {
    this.worker = createTimerWorker();
    if (this.worker !== null) {
      this.worker.onmessage = (event: MessageEvent<TimerId>) => {
        const callback = this.callbacks.get(event.data);
        if (callback === undefined) return; // cleared after it fired in the worker
        this.callbacks.delete(event.data);
        callback();
      };
    }
  }

  /** Whether timers run in a worker (unthrottled in background tabs). */
  get unthrottled(): boolean {
    return this.worker !== null;
  }

  now(): number {
    return performance.timeOrigin + performance.now();
  }

  setTimer(delayMs: number, callback: () => void): TimerId {
    if (this.worker === null) return window.setTimeout(callback, delayMs);
    const id = this.nextId++;
    this.callbacks.set(id, callback);
    this.worker.postMessage(['set', id, delayMs]);
    return id;
  }

  clearTimer(id: TimerId): void {
    if (this.worker === null) return window.clearTimeout(id);
    if (!this.callbacks.delete(id)) return;
    this.worker.postMessage(['clear', id]);
  }

  close(): void {
    this.worker?.terminate();
    this.callbacks.clear();
  }
}

function createTimerWorker(): Worker | null {
  try {
    const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
    return new Worker(url);
  } catch {
    return null; // a Content-Security-Policy without blob: workers, or no Worker at all
  }
}
