import { Listeners } from '../core/listeners.ts';
import { withTimeout } from './deadline.ts';

/** Why a wait ended without an answer. */
export type WaitFailure = 'timeout' | 'ended';

export interface UntilOptions {
  readonly timeoutMs: number;
  /** The error to reject with: say what was awaited and what was seen instead. */
  readonly failure: (why: WaitFailure) => Error;
  /** True once no answer can come any more (the process exited, the socket closed). */
  readonly ended?: () => boolean;
}

/**
 * State that grows by events (a child's output lines, the events a socket received) and that
 * tests wait on instead of sleeping: the owner calls `changed()` after each event, and
 * `until(check)` resolves with `check()`'s first answer other than undefined, tried at once and
 * after every change; it rejects once `ended()` holds with no answer, or after the timeout.
 */
export class Changes {
  private readonly listeners = new Listeners<[]>();

  changed(): void {
    this.listeners.emit();
  }

  until<T>(check: () => T | undefined, options: UntilOptions): Promise<T> {
    // `check` may take what it finds (a test client's next event): once the wait is settled it
    // must never run again, so the listener goes in the same step that settles it.
    let settled = false;
    let stop = () => {};
    const answered = new Promise<T>((resolve, reject) => {
      const attempt = () => {
        if (settled) return;
        const value = check();
        if (value !== undefined) {
          settled = true;
          stop();
          resolve(value);
        } else if (options.ended?.() === true) {
          settled = true;
          stop();
          reject(options.failure('ended'));
        }
      };
      stop = this.listeners.add(attempt);
      attempt();
    });
    return withTimeout(answered, options.timeoutMs, () => {
      settled = true;
      stop();
      throw options.failure('timeout');
    });
  }
}
