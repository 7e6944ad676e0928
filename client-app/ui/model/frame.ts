/**
 * Coalesces many calls into one run, on an animation frame and at most once per interval: the
 * tab's protocol runs on the same main thread as the page, so the views must not re-render on
 * every frame while heartbeats and commits stream (a busy cluster would spend its time painting
 * instead of answering). A hidden tab gets no animation frames, so a timer stands in (browsers
 * throttle it to about once a second there): its views still catch up.
 *
 * The interval adapts to what a render costs: after each run the scheduler measures the frame it
 * caused (the run, the framework's updates, style, layout and paint, up to the next task) and
 * waits long enough that rendering takes at most `VIEW_SHARE` of the thread. A page with little
 * to draw refreshes every `minIntervalMs`; one drawing a busy cluster on a slow machine backs off
 * (up to `MAX_INTERVAL_MS`) rather than slow the writes it shows.
 */

/** The share of the main thread the views may take while they keep up with a busy cluster. */
export const VIEW_SHARE = 0.1;
/** The longest the views wait between refreshes, however costly a render is. */
export const MAX_INTERVAL_MS = 500;
/** How much each new measurement moves the estimate of a render's cost (an exponential average). */
const COST_WEIGHT = 0.3;

export interface FrameScheduler {
  (): void;
  /** The wait between refreshes now (ms), from the cost of the last ones. */
  readonly intervalMs: number;
}

export function frameScheduler(run: () => void, minIntervalMs = 0, fallbackMs = 250): FrameScheduler {
  let queued = false;
  let lastRun = -Infinity;
  let frame: number | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  /** Estimated cost of one run and the frame it causes (ms). */
  let costMs = 0;
  const intervalMs = () => Math.min(MAX_INTERVAL_MS, Math.max(minIntervalMs, costMs / VIEW_SHARE));
  const measure = measureAfterRender((taken) => {
    costMs = costMs === 0 ? taken : costMs + COST_WEIGHT * (taken - costMs);
  });
  const fire = () => {
    if (!queued) return;
    queued = false;
    if (frame !== null) cancelAnimationFrame(frame);
    if (timer !== null) clearTimeout(timer);
    frame = null;
    timer = null;
    lastRun = performance.now();
    run();
    measure(lastRun);
  };
  const request = () => {
    if (typeof requestAnimationFrame === 'function') frame = requestAnimationFrame(fire);
    timer = setTimeout(fire, fallbackMs);
  };
  const schedule = () => {
    if (queued) return;
    queued = true;
    const wait = lastRun + intervalMs() - performance.now();
    if (wait > 0) timer = setTimeout(request, wait);
    else request();
  };
  Object.defineProperty(schedule, 'intervalMs', { get: intervalMs });
  return schedule as FrameScheduler;
}

/**
 * Calls `done` with the time from `startedAt` until the task after the current one starts: a
 * message posted to oneself runs once the frame this task belongs to is rendered (rendering
 * follows the animation-frame callbacks in the same task). Tasks queued meanwhile (messages from
 * peers) count too, which errs towards refreshing less when the thread is busy.
 */
function measureAfterRender(done: (takenMs: number) => void): (startedAt: number) => void {
  if (typeof MessageChannel !== 'function') return (startedAt) => done(performance.now() - startedAt);
  const channel = new MessageChannel();
  let started: number | null = null;
  channel.port1.onmessage = () => {
    if (started === null) return;
    done(performance.now() - started);
    started = null;
  };
  return (startedAt) => {
    if (started !== null) return; // the last measurement is still waiting for its task
    started = startedAt;
    channel.port2.postMessage(null);
  };
}
