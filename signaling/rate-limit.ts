/**
 * A token bucket: `capacity` tokens, refilled continuously at `refillPerSecond`. Each socket has
 * two, one counting events and one counting payload characters, so a socket may burst (a new tab
 * exchanging offers and ICE candidates with every peer at once) but not sustain a flood.
 */
export interface TokenBucketOptions {
  readonly capacity: number;
  readonly refillPerSecond: number;
}

export class TokenBucket {
  private tokens: number;
  private updatedMs: number;

  constructor(
    private readonly options: TokenBucketOptions,
    private readonly now: () => number,
  ) {
    this.tokens = options.capacity;
    this.updatedMs = now();
  }

  /** Takes `cost` tokens if there are that many; otherwise takes none and returns false. */
  maybeTake(cost = 1): boolean {
    this.refill();
    if (this.tokens < cost) return false;
    this.tokens -= cost;
    return true;
  }

  /** How long until `cost` tokens are there (0 if they are now). */
  waitMs(cost = 1): number {
    this.refill();
    const missing = Math.min(cost, this.options.capacity) - this.tokens;
    if (missing <= 0) return 0;
    return Math.ceil((missing / this.options.refillPerSecond) * 1000);
  }

  private refill(): void {
    const nowMs = this.now();
    const elapsedMs = Math.max(0, nowMs - this.updatedMs);
    this.updatedMs = nowMs;
    this.tokens = Math.min(this.options.capacity, this.tokens + (elapsedMs / 1000) * this.options.refillPerSecond);
  }
}
