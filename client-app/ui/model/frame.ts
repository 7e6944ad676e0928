/**
 * Coalesces many calls into one run, on an animation frame and at most once per `minIntervalMs`:
 * the tab's protocol runs on the same main thread as the page, so the views must not re-render
 * on every frame while heartbeats and commits stream (a busy cluster would spend its time
 * painting instead of answering). A hidden tab gets no animation frames, so a timer stands in
 * (browsers throttle it to about once a second there): its views still catch up.
 */
export function frameScheduler(run: () => void, minIntervalMs = 0, fallbackMs = 250): () => void {
  let queued = false;
  let lastRun = -Infinity;
  let frame: number | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const fire = () => {
    if (!queued) return;
    queued = false;
    if (frame !== null) cancelAnimationFrame(frame);
    if (timer !== null) clearTimeout(timer);
    frame = null;
    timer = null;
    lastRun = performance.now();
    run();
  };
  const request = () => {
    if (typeof requestAnimationFrame === 'function') frame = requestAnimationFrame(fire);
    timer = setTimeout(fire, fallbackMs);
  };
  return () => {
    if (queued) return;
    queued = true;
    const wait = lastRun + minIntervalMs - performance.now();
    if (wait > 0) timer = setTimeout(request, wait);
    else request();
  };
}
