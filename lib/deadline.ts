/**
 * The one timeout helper: a promise raced against a timer that is always cleared. Browser and
 * Node alike (global setTimeout), so the tab, the CLI, the signaling server, the bench and the
 * e2e tests share it. core/ never uses it: core has no timers (core/purity.test.ts).
 */

/**
 * Settles as `promise` does if it settles within `ms`; otherwise as `onTimeout` does: return a
 * fallback value, or throw to reject (with a message naming what did not happen in time). The
 * promise itself is not cancelled: its late outcome is ignored.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => T): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      try {
        resolve(onTimeout());
      } catch (error) {
        reject(error);
      }
    }, ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** Whether `promise` settles within `ms` (its outcome, success or failure, does not matter). */
export function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return withTimeout(
    promise.then(
      () => true,
      () => true,
    ),
    ms,
    () => false,
  );
}
