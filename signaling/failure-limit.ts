import { TokenBucket } from './rate-limit.ts';

/**
 * Failure limits: attempts that *miss* (a gateway-connect to a cluster that does not exist or
 * with a secret that does not match, a join that had to create a new cluster) draw from token
 * buckets per connection, per client address and per cluster name. Once a bucket is empty, the
 * next attempt in that scope is refused with `rate-limited` and how long to wait, before it is
 * even looked at. A miss is what guessing a join key or a session secret looks like, so this
 * turns thousands of guesses a second into a few a minute, and a client that is refused knows
 * when to retry (backoff) instead of hammering.
 *
 * Memory is bounded: at most `maxEntries` buckets per scope, the least recently used dropped
 * first (a dropped bucket starts full again, which only ever favours the client).
 */
export interface FailureLimitOptions {
  /** Misses allowed at once in one scope. */
  readonly burst: number;
  /** Misses per minute a scope earns back. */
  readonly perMinute: number;
  /** Buckets kept per scope. */
  readonly maxEntries: number;
}

export class FailureLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly options: FailureLimitOptions,
    private readonly now: () => number,
  ) {}

  /** Milliseconds until `key` may try again (0: now). */
  waitMs(key: string): number {
    const bucket = this.buckets.get(key);
    return bucket === undefined ? 0 : bucket.waitMs();
  }

  /** Records one miss of `key`. */
  charge(key: string): void {
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = new TokenBucket({ capacity: this.options.burst, refillPerSecond: this.options.perMinute / 60 }, this.now);
      while (this.buckets.size >= this.options.maxEntries) this.buckets.delete(this.buckets.keys().next().value!);
    } else {
      this.buckets.delete(key);
    }
    this.buckets.set(key, bucket);
    bucket.maybeTake();
  }

  get size(): number {
    return this.buckets.size;
  }
}
