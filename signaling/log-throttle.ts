import type { LogFields, Logger } from './logger.ts';

/**
 * Keeps refusal logging bounded under a flood. Within one window, the first line of each kind
 * (message, event, code) is logged in full and at most `maxKindsPerWindow` kinds are; every
 * further line is only counted. When the window closes, one line says how many were suppressed,
 * by kind: `refusals suppressed count=51234 window_ms=1000 kinds="invalid/signal=51000 …"`.
 * So forty sockets sending garbage write a few lines a second, not megabytes, and nothing is
 * silently lost: the counts add up to every refusal.
 */
export interface LogThrottleOptions {
  readonly windowMs: number;
  readonly maxKindsPerWindow: number;
  readonly now: () => number;
}

type Level = 'info' | 'warn';

export class LogThrottle {
  private windowStartMs = Number.NEGATIVE_INFINITY;
  private readonly logged = new Set<string>();
  private readonly suppressed = new Map<string, number>();
  private suppressedTotal = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly logger: Logger,
    private readonly options: LogThrottleOptions,
  ) {}

  log(level: Level, message: string, kind: string, fields: LogFields): void {
    const nowMs = this.options.now();
    if (nowMs - this.windowStartMs >= this.options.windowMs) this.flush(nowMs);
    const key = `${message}|${kind}`;
    if (!this.logged.has(key) && this.logged.size < this.options.maxKindsPerWindow) {
      this.logged.add(key);
      this.logger[level](message, fields);
      return;
    }
    this.suppressedTotal += 1;
    // Kinds are a fixed message plus event and code names, which are checked or cut short, so
    // this map holds at most a few hundred entries; cap it anyway.
    if (this.suppressed.has(key) || this.suppressed.size < 64) this.suppressed.set(key, (this.suppressed.get(key) ?? 0) + 1);
    this.timer ??= setTimeout(() => this.flush(this.options.now()), this.options.windowMs);
    this.timer.unref();
  }

  /** Writes the summary of the window that is ending (if anything was suppressed) and starts a new one. */
  flush(nowMs = this.options.now()): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.suppressedTotal > 0) {
      const kinds = [...this.suppressed.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 16)
        .map(([key, count]) => `${key.slice(key.indexOf('|') + 1)}=${count}`)
        .join(' ');
      this.logger.warn('refusals suppressed', { count: this.suppressedTotal, windowMs: this.options.windowMs, kinds });
    }
    this.windowStartMs = nowMs;
    this.logged.clear();
    this.suppressed.clear();
    this.suppressedTotal = 0;
  }

  close(): void {
    this.flush();
  }
}
