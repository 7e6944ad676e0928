/**
 * The one retry schedule: pauses that start at `firstMs` and double up to `maxMs`, optionally
 * spread by ±`jitter` (a fraction) so that many clients that lost the same server do not all
 * return in step. Used by the CLI's gateway attach, the tab's signaling reconnects and WebRTC
 * link retries, and the signaling server's Redis reconnects.
 */
export interface BackoffOptions {
  readonly firstMs: number;
  readonly maxMs: number;
  /** 0.25: each pause is between 0.75 and 1.25 times the schedule's. Default 0. */
  readonly jitter?: number;
}

/** The pause before retry number `attempt` (0 for the first retry). */
export function backoffMs(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  // 2^30 times any first pause is past every maximum: the exponent stops growing there.
  const base = Math.min(options.firstMs * 2 ** Math.min(Math.max(0, attempt), 30), options.maxMs);
  const jitter = options.jitter ?? 0;
  return jitter === 0 ? base : base * (1 - jitter + random() * 2 * jitter);
}
