import { serverConfig, type ServerConfig } from '../../core/config.ts';
import type { ServerId } from '../../core/types.ts';
import type { TabParams } from './params.ts';

/** Milliseconds per protocol tick in a tab. */
export const TICK_MS = 50;

/**
 * Protocol timing for browsers, in ticks of TICK_MS: more generous than the simulator's,
 * because tabs pause (garbage collection, a busy main thread, a tab in the background).
 * Heartbeats go every tick; a second of silence (syncLimit) ends a leader or a follower.
 */
export function browserConfig(seat: ServerId, size: number, params: Pick<TabParams, 'snapshotEveryTxns' | 'retainLogTxns'>): ServerConfig {
  return serverConfig(seat, size, {
    electionTimeoutTicks: 6,
    initLimitTicks: 60,
    syncLimitTicks: 20,
    ...(params.snapshotEveryTxns === null ? {} : { snapshotEveryTxns: params.snapshotEveryTxns }),
    ...(params.retainLogTxns === null ? {} : { retainLogTxns: params.retainLogTxns }),
  });
}
