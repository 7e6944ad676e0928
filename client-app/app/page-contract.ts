import type { GatewayOp, GatewayResult } from '../../cli/gateway-ops.ts';

/**
 * What the page exposes to tests and to the console as `window.tabkeeper` (the e2e tests code
 * against exactly this). Zxids are "epoch:counter" strings.
 */
export type TabState = 'LOOKING' | 'FOLLOWING' | 'LEADING' | 'OBSERVING' | 'STARTING' | 'FAILED';

export interface TabStatus {
  readonly cluster: string;
  /** N; 0 until the signaling server answered the join (when the URL gave no size). */
  readonly size: number;
  readonly seat: number | null;
  /** STARTING until the node runs (joining, Web Lock, IndexedDB); FAILED once it stopped for good. */
  readonly state: TabState;
  /** Whether the node serves clients: synced with an established leader, or leading one. */
  readonly serving: boolean;
  readonly leader: number | null;
  readonly currentEpoch: number;
  readonly lastZxid: string;
  readonly committedZxid: string;
  /** Seats with an open DataChannel, ascending (in a keyed cluster: peers that proved the join key). */
  readonly peers: number[];
  /** The DataChannel join-key handshake (client-app/transport/peer-auth.ts). */
  readonly peerAuth: {
    /** Whether the cluster has a join key (keyless clusters run no handshake). */
    readonly keyed: boolean;
    /** Channels closed because the peer failed the handshake or gave no proof in time. */
    readonly failures: number;
    readonly lastFailure: string | null;
    /** Messages dropped because they came before the peer's proof. */
    readonly dropped: number;
    /** Protocol messages accepted from peers (all of them from peers that proved the key). */
    readonly accepted: number;
  };
  /**
   * What IndexedDB held at boot, before any sync: the last logged zxid, and the newest point
   * known committed from storage alone (the snapshot's zxid: the log past it may hold proposals
   * that never committed, so the node recovers to the snapshot and learns the rest from a leader).
   * Null until storage is read, and for a fresh seat (its database held nothing).
   */
  readonly restored: { readonly lastZxid: string; readonly committedZxid: string } | null;
  readonly error: string | null;
  /**
   * Messages this tab could not send because they were above the transport's size limit (a bug:
   * core cuts what it sends below it). The page shows them as an error (`data-testid="unsendable"`);
   * e2e tests require 0. Absent on pages older than this field.
   */
  readonly unsendable?: number;
}

export interface TabKeeperPage {
  status(): TabStatus;
  /** One operation in the tab's own session; reads are synced (linearizable). Never rejects. */
  run(op: GatewayOp): Promise<GatewayResult>;
  /** The call/return records of run(), DESIGN.md's history format (cli/history.ts). */
  history(): unknown[];
}

declare global {
  interface Window {
    tabkeeper?: TabKeeperPage;
  }
}
