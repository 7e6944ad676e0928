import type { ServerId } from '../core/types.ts';
import type { Refusal } from '../protocol/signaling-events.ts';
import { mayReplaceHolder, StartupGrace } from './seat-ownership.ts';

/**
 * The seat table: which live socket holds which seat (server id) of which cluster, and each
 * cluster's size and join key. One interface, two implementations: `MemorySeatTable` (here) for
 * a single process, `RedisSeatTable` (redis-seats.ts) shared by several servers.
 *
 * Invariant: a seat has at most one holder, and a holder is a socket that is (or, in Redis mode,
 * was within the liveness window) connected. A claim of a held seat is refused, never stolen: a
 * reloading tab waits until its old socket is gone. The one exception is the seat's own tab
 * coming back through another server: it proves who it is with the seat token it was given at
 * its first claim (seat-ownership.ts), and its old socket, on a server that died or that it
 * left, is replaced.
 *
 * Seats whose server went away (it died, or shut down, or this process restarted) are not
 * handed to new tabs at once: their tabs are alive and reconnecting. Redis mode keeps such a
 * seat reserved for its token for `seatGraceMs` after the server is found dead; memory mode,
 * which forgets everything on restart, refuses claims that are not reclaims for `seatGraceMs`
 * after it starts (seat-ownership.ts).
 */

/** A socket on a server. In memory mode `serverId` is the one process's id. */
export interface Holder {
  readonly serverId: string;
  readonly socketId: string;
}

export interface ClaimRequest {
  readonly cluster: string;
  /** Size the tab asks for: sets N if it creates the cluster, must match N otherwise. */
  readonly size: number | undefined;
  /** SHA-256 of the join key the tab presented (hex), or null. */
  readonly keyHash: string | null;
  /** The seat the tab names (a reload reclaiming its seat), or undefined for the lowest free one. */
  readonly seat: ServerId | undefined;
  readonly holder: Holder;
  /** The seat token's hash: the one presented (a reclaim) or a fresh one; stored on success. */
  readonly tokenHash: string;
  /** Whether the tab presented a token (it claims to be the seat's own tab). */
  readonly tokenPresented: boolean;
}

export type ClaimResult =
  | { readonly ok: true; readonly seat: ServerId; readonly size: number; readonly peers: ServerId[]; readonly created: boolean }
  | Refusal;

export interface ClusterView {
  readonly size: number;
  /** Highest seat: size + observers. */
  readonly maxSeat: number;
  readonly keyHash: string | null;
  /** Seats held by live sockets, ascending. */
  readonly seats: ServerId[];
}

/** A seat freed because its holder's server died (Redis mode), so its room must hear `peer-left`. */
export interface FreedSeat {
  readonly cluster: string;
  readonly seat: ServerId;
}

export interface SeatTableStats {
  /** Clusters with at least one live tab. */
  readonly clusters: number;
  /** Seats held by live tabs. */
  readonly seats: number;
  /** Clusters remembered, empty ones included (bounded by `maxClusters`). */
  readonly remembered: number;
}

export interface SeatTable {
  claim(request: ClaimRequest): Promise<ClaimResult>;
  /** Frees the seat if `holder` still holds it. Returns whether it did. */
  release(cluster: string, seat: ServerId, holder: Holder): Promise<boolean>;
  cluster(cluster: string): Promise<ClusterView | null>;
  /** The live holder of a seat, or null. */
  holder(cluster: string, seat: ServerId): Promise<Holder | null>;
  stats(): Promise<SeatTableStats>;
  /** Periodic upkeep: forgets clusters empty for longer than their TTL; returns seats of dead servers it freed. */
  sweep(): Promise<FreedSeat[]>;
  close(): Promise<void>;
}

export interface SeatTableOptions {
  readonly defaultClusterSize: number;
  readonly maxObservers: number;
  readonly emptyClusterTtlMs: number;
  /**
   * Most clusters remembered at once. Past it, creating a cluster forgets the empty cluster
   * that has been empty longest; a cluster with a live tab is never forgotten, and when every
   * remembered cluster has one the new cluster is refused (`unavailable`).
   */
  readonly maxClusters: number;
  /** How long seats whose server went away stay reserved for their tabs (see above). */
  readonly seatGraceMs: number;
  readonly now: () => number;
}

/**
 * Whether the presented key opens the cluster. Keys are compared as SHA-256 hashes, so neither
 * implementation ever stores a key, and an early-exit comparison leaks nothing about the key.
 */
export function keyRefusal(cluster: string, stored: string | null, presented: string | null): Refusal | null {
  if (stored === presented) return null;
  if (stored === null) return refuse('wrong-key', `cluster ${cluster} has no join key; join without one`);
  if (presented === null) return refuse('wrong-key', `cluster ${cluster} needs a join key`);
  return refuse('wrong-key', `wrong join key for cluster ${cluster}`);
}

export function refuse(code: Refusal['code'], error: string): Refusal {
  return { ok: false, code, error };
}

/** The refusals both implementations give, with one wording. */
export const refusals = {
  sizeMismatch: (cluster: string, size: number, asked: number) =>
    refuse('size-mismatch', `cluster ${cluster} has ${size} voters, not ${asked}`),
  seatOutOfRange: (cluster: string, seat: number, size: number, maxSeat: number) =>
    refuse(
      'seat-out-of-range',
      `seat ${seat} is out of range for cluster ${cluster} (voters 1..${size}${maxSeat > size ? `, observers ${size + 1}..${maxSeat}` : ''})`,
    ),
  seatTaken: (cluster: string, seat: number) =>
    refuse('seat-taken', `seat ${seat} of cluster ${cluster} is held by another live tab`),
  clusterFull: (cluster: string, maxSeat: number) => refuse('cluster-full', `all ${maxSeat} seats of cluster ${cluster} are held`),
  tooManyClusters: (maxClusters: number) =>
    refuse('unavailable', `this signaling server already holds ${maxClusters} clusters with live tabs; retry later`),
};

interface ClusterRecord {
  readonly size: number;
  readonly maxSeat: number;
  readonly keyHash: string | null;
  readonly seats: Map<ServerId, Holder>;
  /** Token hash of each held seat. */
  readonly tokens: Map<ServerId, string>;
  /** When the last seat was freed; null while any seat is held. */
  emptySinceMs: number | null;
}

/** The seat table of a single signaling process. Liveness is the socket's own connection. */
export class MemorySeatTable implements SeatTable {
  private readonly clusters = new Map<string, ClusterRecord>();
  /** Names of empty clusters, longest empty first (Map order is insertion order): eviction order. */
  private readonly empty = new Set<string>();
  private readonly grace: StartupGrace;

  constructor(private readonly options: SeatTableOptions) {
    this.grace = new StartupGrace(options.now, options.seatGraceMs);
  }

  async claim(request: ClaimRequest): Promise<ClaimResult> {
    const waiting = this.grace.refusal(request);
    if (waiting !== null) return waiting;
    let record = this.live(request.cluster);
    const created = record === null;
    if (record === null) {
      if (!this.makeRoom()) return refusals.tooManyClusters(this.options.maxClusters);
      const size = request.size ?? this.options.defaultClusterSize;
      record = { size, maxSeat: size + this.options.maxObservers, keyHash: request.keyHash, seats: new Map(), tokens: new Map(), emptySinceMs: null };
      this.clusters.set(request.cluster, record);
    }
    const refusal = this.checkClaim(request, record);
    const seat = refusal === null ? (request.seat ?? lowestFreeSeat(record.seats, record.maxSeat)) : null;
    if (refusal !== null || seat === null) {
      // A cluster is created only by a claim that succeeds.
      if (created) this.clusters.delete(request.cluster);
      return refusal ?? refusals.clusterFull(request.cluster, record.maxSeat);
    }
    const peers = [...record.seats.keys()].filter((held) => held !== seat).sort((a, b) => a - b);
    record.seats.set(seat, request.holder);
    record.tokens.set(seat, request.tokenHash);
    record.emptySinceMs = null;
    this.empty.delete(request.cluster);
    return { ok: true, seat, size: record.size, peers, created };
  }

  async release(cluster: string, seat: ServerId, holder: Holder): Promise<boolean> {
    const record = this.clusters.get(cluster);
    const current = record?.seats.get(seat);
    if (record === undefined || current === undefined || !sameHolder(current, holder)) return false;
    record.seats.delete(seat);
    record.tokens.delete(seat);
    if (record.seats.size === 0) {
      record.emptySinceMs = this.options.now();
      this.empty.add(cluster);
    }
    return true;
  }

  async cluster(cluster: string): Promise<ClusterView | null> {
    const record = this.live(cluster);
    if (record === null) return null;
    const seats = [...record.seats.keys()].sort((a, b) => a - b);
    return { size: record.size, maxSeat: record.maxSeat, keyHash: record.keyHash, seats };
  }

  async holder(cluster: string, seat: ServerId): Promise<Holder | null> {
    return this.clusters.get(cluster)?.seats.get(seat) ?? null;
  }

  async stats(): Promise<SeatTableStats> {
    let clusters = 0;
    let seats = 0;
    for (const record of this.clusters.values()) {
      if (record.seats.size === 0) continue;
      clusters += 1;
      seats += record.seats.size;
    }
    return { clusters, seats, remembered: this.clusters.size };
  }

  async sweep(): Promise<FreedSeat[]> {
    for (const name of [...this.clusters.keys()]) this.live(name);
    return [];
  }

  async close(): Promise<void> {
    this.clusters.clear();
    this.empty.clear();
  }

  /** Makes room for one more cluster: forgets the longest-empty cluster if at the cap. False if every cluster is live. */
  private makeRoom(): boolean {
    while (this.clusters.size >= this.options.maxClusters) {
      const oldest = this.empty.values().next();
      if (oldest.done === true) return false;
      this.empty.delete(oldest.value);
      this.clusters.delete(oldest.value);
    }
    return true;
  }

  private checkClaim(request: ClaimRequest, record: ClusterRecord): Refusal | null {
    const keyProblem = keyRefusal(request.cluster, record.keyHash, request.keyHash);
    if (keyProblem !== null) return keyProblem;
    if (request.size !== undefined && request.size !== record.size) {
      return refusals.sizeMismatch(request.cluster, record.size, request.size);
    }
    if (request.seat === undefined) return null;
    if (request.seat > record.maxSeat) return refusals.seatOutOfRange(request.cluster, request.seat, record.size, record.maxSeat);
    const holder = record.seats.get(request.seat);
    if (holder !== undefined && !mayReplaceHolder(request, holder, record.tokens.get(request.seat) ?? null, true)) {
      return refusals.seatTaken(request.cluster, request.seat);
    }
    return null;
  }

  /** The cluster's record, forgetting it first if it has been empty for longer than the TTL. */
  private live(cluster: string): ClusterRecord | null {
    const record = this.clusters.get(cluster);
    if (record === undefined) return null;
    const since = record.emptySinceMs;
    if (since !== null && this.options.now() - since >= this.options.emptyClusterTtlMs) {
      this.clusters.delete(cluster);
      this.empty.delete(cluster);
      return null;
    }
    return record;
  }
}

export function lowestFreeSeat(seats: ReadonlyMap<ServerId, unknown>, maxSeat: number): ServerId | null {
  for (let seat = 1; seat <= maxSeat; seat++) if (!seats.has(seat)) return seat;
  return null;
}

export function sameHolder(a: Holder, b: Holder): boolean {
  return a.serverId === b.serverId && a.socketId === b.socketId;
}
