import type { ServerId } from './types.ts';

/** Everything that shapes one server's protocol. Times are in ticks of the driver's clock. */
export interface ServerConfig {
  readonly sid: ServerId;
  /** N: the voting seats are 1..N; a server with sid > N is an observer. */
  readonly voterCount: number;
  /** How long a Bully round waits for `higher_id`, and then for `coordinator`. */
  readonly electionTimeoutTicks: number;
  /** How long discovery plus synchronization may take before giving up (ZooKeeper's initLimit). */
  readonly initLimitTicks: number;
  /** Silence after which a follower leaves its leader, or a leader its followers (syncLimit). */
  readonly syncLimitTicks: number;
  /** Take a snapshot after this many txns committed since the last one. */
  readonly snapshotEveryTxns: number;
  /** Log entries kept behind the newest snapshot so followers a little behind get a DIFF. */
  readonly retainLogTxns: number;
}

export const DEFAULT_TIMING = {
  electionTimeoutTicks: 4,
  initLimitTicks: 20,
  syncLimitTicks: 10,
  snapshotEveryTxns: 1000,
  retainLogTxns: 500,
} as const;

export function serverConfig(sid: ServerId, voterCount: number, overrides: Partial<ServerConfig> = {}): ServerConfig {
  return { sid, voterCount, ...DEFAULT_TIMING, ...overrides };
}
