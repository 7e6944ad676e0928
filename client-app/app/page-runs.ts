import type { GatewayOp, GatewayResult } from '../../protocol/gateway-ops.ts';
import { historyNow, historyRecord, type HistoryRecord } from '../../protocol/history.ts';
import type { TabKeeperClient } from '../../core/client/tabkeeper-client.ts';
import type { ZabNode } from '../../core/node.ts';
import type { ServerId } from '../../core/types.ts';
import { GATEWAY_WAIT_FOR_SERVING_MS } from './gateway-door.ts';
import { runGatewayOp } from './gateway-sessions.ts';
import { parsePageOp } from './page-ops.ts';
import { untilServing } from './until-serving.ts';

/** run() gives up on an operation that has not settled by then (ConnectionLoss: unknown outcome). */
const RUN_TIMEOUT_MS = 15_000;
/** How often the runs in flight are checked against their deadline (one timer for all of them). */
const SWEEP_MS = 1_000;

/** What a run reaches in the tab: null until the node runs. */
export interface PageRunParts {
  readonly node: ZabNode | null;
  readonly client: TabKeeperClient | null;
  readonly seat: ServerId | null;
}

/**
 * The page contract's `run()` and `history()`: operations in the tab's own client session, each
 * recorded as a call/return record (protocol/history.ts) for the linearizability checker.
 */
export class PageRuns {
  private readonly records: HistoryRecord[] = [];
  /** Runs in flight, in start order, with the time after which they answer ConnectionLoss. */
  private readonly inFlight = new Set<{ readonly deadlineMs: number; readonly give: () => void }>();
  private sweeper: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly parts: () => PageRunParts,
    /** The session expired: the tab replaces its client. */
    private readonly expired: (client: TabKeeperClient) => void,
  ) {}

  async run(op: GatewayOp): Promise<GatewayResult> {
    const parsed = parsePageOp(op);
    if (parsed === null) return { ok: false, error: 'BadArguments' };
    const call = historyNow();
    // Between leaders, hold the request (as ZooKeeper's client does while it reconnects) rather
    // than answering ConnectionLoss at once.
    if (this.parts().node?.serving !== true) await untilServing(this.parts().node, GATEWAY_WAIT_FOR_SERVING_MS);
    const { client, node, seat } = this.parts();
    let result: GatewayResult;
    if (client === null || !node?.serving) {
      result = { ok: false, error: 'ConnectionLoss' }; // no quorum: nothing was sent
    } else {
      result = await this.withinDeadline(runGatewayOp(client, parsed));
      if (!result.ok && result.error === 'SessionExpired') this.expired(client);
    }
    const record = historyRecord(client?.sessionId ?? `tab-${seat ?? 0}`, parsed, call, historyNow(), result);
    if (record !== null) this.records.push(record);
    return result;
  }

  /**
   * `operation`'s result, or ConnectionLoss once RUN_TIMEOUT_MS passed: no timer per run, one
   * sweep for all those in flight (it stops when none is).
   */
  private withinDeadline(operation: Promise<GatewayResult>): Promise<GatewayResult> {
    return new Promise((resolve, reject) => {
      const entry = { deadlineMs: performance.now() + RUN_TIMEOUT_MS, give: () => resolve({ ok: false, error: 'ConnectionLoss' }) };
      this.inFlight.add(entry);
      this.sweeper ??= setInterval(() => this.sweep(), SWEEP_MS);
      operation.then(
        (result) => {
          this.inFlight.delete(entry);
          resolve(result);
        },
        (error: unknown) => {
          this.inFlight.delete(entry);
          reject(error);
        },
      );
    });
  }

  private sweep(): void {
    const now = performance.now();
    // Every run gets the same timeout, so start order is deadline order.
    for (const entry of this.inFlight) {
      if (entry.deadlineMs > now) break;
      this.inFlight.delete(entry);
      entry.give();
    }
    if (this.inFlight.size === 0 && this.sweeper !== null) {
      clearInterval(this.sweeper);
      this.sweeper = null;
    }
  }

  history(): unknown[] {
    return this.records.map((record) => ({ ...record }));
  }
}
