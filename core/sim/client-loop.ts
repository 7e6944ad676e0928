import type { ApplyResult } from '../state-machine.ts';
import type { SimCluster } from './cluster.ts';
import type { Prng } from './prng.ts';

/**
 * The scheduling both simulated clients share (sim-client.ts on the kv machine, sim-tree-client.ts
 * on the data tree): one call at a time, a random think time after each, a short retry while not
 * connected (nothing sent, nothing recorded), and `stop` lets a call in flight complete. What a
 * call is, how it is recorded and where the client connects are each client's own.
 *
 * The PRNG is drawn in a fixed order (connect, then the call, then its result, then the think
 * time), so a seed replays the same schedule.
 */
/** Errors after which a client cannot know whether its write happened (ZooKeeper's ConnectionLoss). */
export const OUTCOME_UNKNOWN: ReadonlySet<string> = new Set(['ConnectionLoss', 'OperationTimeout']);

export interface SimClientOptions<HistoryEntry> {
  readonly id: number;
  readonly cluster: SimCluster;
  readonly prng: Prng;
  /** Where the client records its calls and returns. */
  readonly history: HistoryEntry[];
  readonly thinkMsMax: number;
  /** Some writes carry values up to 1 MiB (`--values big`); histories record their tags. */
  readonly bigValues: boolean;
}

export abstract class SimClientLoop<HistoryEntry> {
  private stopped = false;
  private busy = false;
  /** Calls that completed with ok = true. */
  successes = 0;

  readonly id: number;
  protected readonly cluster: SimCluster;
  protected readonly prng: Prng;
  protected readonly history: HistoryEntry[];
  protected readonly bigValues: boolean;
  private readonly thinkMsMax: number;

  protected constructor(options: SimClientOptions<HistoryEntry>) {
    this.id = options.id;
    this.cluster = options.cluster;
    this.prng = options.prng;
    this.history = options.history;
    this.bigValues = options.bigValues;
    this.thinkMsMax = options.thinkMsMax;
  }

  get idle(): boolean {
    return !this.busy;
  }

  start(): void {
    this.stopped = false;
    this.schedule(this.prng.int(0, this.thinkMsMax));
  }

  /** Stops issuing new calls; a call in flight still completes and is recorded. */
  stop(): void {
    this.stopped = true;
  }

  /** Whether the client can send a call now (it may move to another server or session first). */
  protected abstract connect(): boolean;

  /** Sends one random call, records it, and calls `done` once its result is recorded. */
  protected abstract call(done: (result: ApplyResult) => void): void;

  private schedule(delayMs: number): void {
    this.cluster.world.scheduleAfter(delayMs, () => this.issue());
  }

  private issue(): void {
    if (this.stopped || this.busy) return;
    if (!this.connect()) return this.schedule(this.prng.int(10, 50));
    this.busy = true;
    this.call((result) => this.complete(result));
  }

  private complete(result: ApplyResult): void {
    this.busy = false;
    if (result.ok) this.successes++;
    if (!this.stopped) this.schedule(this.prng.int(0, this.thinkMsMax));
  }
}
