/**
 * Coalesces many calls into one run per animation frame. A hidden tab gets no animation frames,
 * so a timer stands in (browsers throttle it to about once a second there): the views of a tab
 * in the background still catch up, and nothing runs more than once per frame.
 */
export function frameScheduler(run: () => void, fallbackMs = 250): () => void {
  let queued = false;
  let frame: number | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const fire = () => {
    if (!queued) return;
    queued = false;
    if (frame !== null) cancelAnimationFrame(frame);
    if (timer !== null) clearTimeout(timer);
    frame = null;
    timer = null;
    run();
  };
  return () => {
    if (queued) return;
    queued = true;
    if (typeof requestAnimationFrame === 'function') frame = requestAnimationFrame(fire);
    timer = setTimeout(fire, fallbackMs);
  };
}
