import type { Summary } from './stats.ts';

/** What `npm run bench` writes to bench/results/*.json (and bench/chart.ts draws). */

export interface LatencyRow {
  readonly name: string;
  readonly tabkeeper: Summary;
  readonly zookeeper: Summary | null;
  /** The floor of this measure from the same run: one bound per write, one round trip per synced read. */
  readonly boundMs: number;
  readonly ratioToBound: number;
  readonly p99RatioToZooKeeper: number | null;
}

export interface ThroughputRow {
  readonly name: string;
  readonly tabkeeper: { readonly opsPerSecond: number; readonly latency: Summary };
  readonly zookeeper: { readonly opsPerSecond: number; readonly latency: Summary } | null;
}

export interface BenchResults {
  readonly date: string;
  readonly machine: {
    readonly cpu: string;
    readonly cores: number;
    readonly memoryGiB: number;
    readonly os: string;
    readonly node: string;
    readonly chromium: string;
    readonly zookeeper: string | null;
    readonly loadAverageAtStart: number[];
    /** BENCH_NOTE: what else ran on the machine meanwhile. */
    readonly note: string | null;
  };
  readonly baselines: {
    readonly roundTrip: Summary;
    readonly indexedDb: Summary;
    readonly boundMs: number;
    /**
     * B again, with three pages of the one browser each writing its own database at once (what
     * three seats in one profile do): Chromium runs one origin's IndexedDB transactions one after
     * another, so each waits for the others' flushes. Absent in runs before it was measured.
     */
    readonly indexedDbThreeWriters?: Summary;
  };
  readonly latency: LatencyRow[];
  readonly throughput: ThroughputRow[];
  readonly failover: { readonly name: string; readonly gapMs: number }[];
  readonly recovery: { readonly txns: number; readonly reloadToServingMs: number }[];
  readonly memory: { readonly heapBytesPerTab: number[]; readonly heapBytesPerTabAfterRecovery: number[] };
  readonly simulator: null | { readonly workload: string; readonly seeds: number; readonly failed: number; readonly seedsPerSecond: number; readonly workers: number };
}
