import type { GatewayOp, GatewayResult } from '../../protocol/gateway-ops.ts';

/**
 * What the page exposes to tests and to the console as `window.tabkeeper` (the e2e tests code
 * against exactly this). Zxids are "epoch:counter" strings.
 */
/** RECOVERING: reloading its storage, after the node started or after it left a role, before LOOKING. */
export type TabState = 'RECOVERING' | 'LOOKING' | 'FOLLOWING' | 'LEADING' | 'OBSERVING' | 'STARTING' | 'FAILED';

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
  /**
   * Whether this seat's storage may vote (core/seats.ts): `member` (the ensemble recorded it),
   * `new` (blank, nothing recorded yet: a new cluster forms once all N seats are here),
   * `recovering` (the storage is unknown to the ensemble: synced, then re-admitted, before it
   * votes or serves), `refusing` (a quorum of seats lost its storage: the cluster will not serve
   * until their storage is restored or someone forces a new cluster, UNSAFE). `reason` says why;
   * `lost` are the seats whose storage is known not to be the recorded one. The page shows it as
   * `data-testid="admission"` (state) and `admission-reason`. Null until the node runs.
   */
  readonly admission?: {
    readonly state: 'member' | 'new' | 'recovering' | 'refusing';
    readonly lost: number[];
    readonly storageId: string;
    readonly reason: string;
  } | null;
}

export interface TabKeeperPage {
  status(): TabStatus;
  /** One operation in the tab's own session; reads are synced (linearizable). Never rejects. */
  run(op: GatewayOp): Promise<GatewayResult>;
  /** The call/return records of run(), the history record format (protocol/history.ts). */
  history(): unknown[];
  /**
   * The tab's own log, oldest first (the lines the page's "What this tab did" shows, as they are
   * logged: the view redraws in its turn, so it may lag a moment behind).
   */
  logs(): string[];
  /**
   * UNSAFE recovery for a cluster that refuses to serve because a quorum of seats lost its
   * storage (like etcd's --force-new-cluster): this tab counts every storage present until a new
   * seat record commits. Writes that only the lost storages held are gone. The page's
   * "Force a new cluster" button and the URL parameter `forceNewCluster=1` call it.
   */
  forceNewCluster(): void;
}

declare global {
  interface Window {
    tabkeeper?: TabKeeperPage;
  }
}
