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
 * Only a new miss counts: a scope remembers the last few rooms it missed, and trying one of them
 * again (a CLI waiting for the first tab of its cluster, retrying the same name and key) is not
 * another guess, so patient clients do not run out while guessers do.
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

/** Rooms a scope remembers having missed (a retry of one of them is free). */
const RECENT_MISSES = 8;

/** One scope's budget and the misses it made last. */
export class MissBudget {
  private readonly recent: string[] = [];

  constructor(private readonly bucket: TokenBucket) {}

  waitMs(): number {
    return this.bucket.waitMs();
  }

  /** Records a miss of `room`; a room missed lately costs nothing again. */
  charge(room: string): void {
    if (this.recent.includes(room)) return;
    this.recent.push(room);
    if (this.recent.length > RECENT_MISSES) this.recent.shift();
    this.bucket.maybeTake();
  }
}

export function missBudget(options: Pick<FailureLimitOptions, 'burst' | 'perMinute'>, now: () => number): MissBudget {
  return new MissBudget(new TokenBucket({ capacity: options.burst, refillPerSecond: options.perMinute / 60 }, now));
}

export class FailureLimiter {
  private readonly buckets = new Map<string, MissBudget>();

  constructor(
    private readonly options: FailureLimitOptions,
    private readonly now: () => number,
  ) {}

  /** Milliseconds until `key` may try again (0: now). */
  waitMs(key: string): number {
    const bucket = this.buckets.get(key);
    return bucket === undefined ? 0 : bucket.waitMs();
  }

  /** Records one miss of `room` by `key`. */
  charge(key: string, room: string): void {
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = missBudget(this.options, this.now);
      while (this.buckets.size >= this.options.maxEntries) this.buckets.delete(this.buckets.keys().next().value!);
    } else {
      this.buckets.delete(key);
    }
    this.buckets.set(key, bucket);
    bucket.charge(room);
  }

  get size(): number {
    return this.buckets.size;
  }
}
