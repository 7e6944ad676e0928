import type { Zxid } from './zxid.ts';

/** A server id: a seat of the cluster. Voters are 1..N, observers are above N. */
export type ServerId = number;

/** Any value that survives JSON: what ops, txns and snapshots are made of. */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

/**
 * A transaction as the leader proposes it. `originator` and `requestId` let the server whose
 * client asked for it answer that client when the txn commits; every other server only applies it.
 */
export interface Txn {
  readonly originator: ServerId;
  readonly requestId: number;
  /**
   * `op` txns go to the state machine. A `sync` txn changes nothing: its commit tells the
   * originator that every write committed before the sync began has been applied here. A
   * `seats` txn is the ZAB core's own: its op is the ensemble's record of which storage holds
   * each seat (core/seats.ts), and the state machine never sees it.
   */
  readonly type: 'op' | 'sync' | 'seats';
  readonly op: Json;
}

/** One accepted entry of the transaction log. */
export interface Proposal {
  readonly zxid: Zxid;
  readonly txn: Txn;
}

/** The state machine's whole state at `zxid` (every txn up to and including it applied). */
export interface Snapshot {
  readonly zxid: Zxid;
  readonly data: Json;
  readonly digest: string;
  /** The ensemble's seat record at `zxid` (core/seats.ts), beside the state machine's state. Absent: none. */
  readonly seats?: Json;
}

/**
 * The ZAB server states, with ZooKeeper's names, and RECOVERING: reloading storage after boot or
 * a role change, before LOOKING (core/role.ts).
 */
export type ServerState = 'RECOVERING' | 'LOOKING' | 'FOLLOWING' | 'LEADING' | 'OBSERVING';
