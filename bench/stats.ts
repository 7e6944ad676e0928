/** Latency samples in milliseconds, summarised by nearest-rank percentiles. */
export interface Summary {
  readonly name: string;
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** Nearest-rank percentile of `samples` (0 < fraction <= 1). */
export function percentile(samples: readonly number[], fraction: number): number {
  if (samples.length === 0) throw new Error('percentile of no samples');
  if (!(fraction > 0 && fraction <= 1)) throw new Error(`percentile fraction ${fraction} is not in (0, 1]`);
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.ceil(fraction * sorted.length) - 1]!;
}

export function summarize(name: string, samples: readonly number[]): Summary {
  return { name, count: samples.length, p50Ms: percentile(samples, 0.5), p99Ms: percentile(samples, 0.99) };
}
