import { FailureLimiter, type FailureLimitOptions } from './failure-limit.ts';
import type { SocketState } from './socket-state.ts';

/**
 * Misses (joins that create a cluster, gateway-connects that find none) counted per connection,
 * per client address and per cluster name (failure-limit.ts), so an outsider guessing keys or
 * cluster names is slowed down without ever keeping the real tabs out of their own cluster.
 */
export class Misses {
  private readonly byAddress: FailureLimiter;
  private readonly byCluster: FailureLimiter;

  constructor(limit: FailureLimitOptions, now: () => number) {
    this.byAddress = new FailureLimiter(limit, now);
    this.byCluster = new FailureLimiter(limit, now);
  }

  /** How long this connection (and, for the gateway, this cluster name) must wait before another attempt that may miss. */
  waitMs(state: SocketState, cluster: string | null): number {
    return Math.max(state.misses.waitMs(), this.byAddress.waitMs(state.address), cluster === null ? 0 : this.byCluster.waitMs(cluster));
  }

  /** Records a miss of `room` (a retry of a room missed lately is free: failure-limit.ts). */
  charge(state: SocketState, cluster: string | null, room: string): void {
    state.misses.charge(room);
    this.byAddress.charge(state.address, room);
    if (cluster !== null) this.byCluster.charge(cluster, room);
  }
}
