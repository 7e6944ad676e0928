/**
 * The Web Lock a tab holds for as long as it serves a seat (docs/ARCHITECTURE.md, trust model): named after the seat's
 * database, so two tabs of one origin never write the same database, even if the signaling
 * server restarts or misbehaves. Released on pagehide (and by the browser when the tab goes).
 */
export interface SeatLock {
  readonly name: string;
  release(): void;
}

export class SeatLockError extends Error {
  override name = 'SeatLockError';
}

/**
 * Waits up to `timeoutMs` for the lock (a reloading tab's predecessor may still hold it for a
 * moment). Resolves null where Web Locks do not exist (an insecure context: not https and not
 * localhost), so the caller can say so and rely on the signaling server alone.
 */
export async function acquireSeatLock(name: string, timeoutMs: number): Promise<SeatLock | null> {
  if (typeof navigator === 'undefined' || navigator.locks === undefined) return null;
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  await new Promise<void>((acquired, failed) => {
    navigator.locks
      .request(name, { signal: AbortSignal.timeout(timeoutMs) }, async () => {
        acquired();
        await held;
      })
      .catch((error: unknown) => {
        const reason = error instanceof Error ? error.name : String(error);
        failed(new SeatLockError(`another tab of this browser holds lock ${name} (${reason} after ${timeoutMs} ms): it serves this seat already`));
      });
  });
  return { name, release };
}
