import type { ServerId } from './types.ts';
import { compareZxid, type Zxid } from './zxid.ts';

/**
 * `sync` without a log write (etcd's ReadIndex; docs/ARCHITECTURE.md, rule 9): the leader notes its
 * last proposed zxid when the sync reaches it (the read index), confirms with one heartbeat round
 * of its epoch that a quorum still follows it, and only then answers with that index. The
 * server that asked serves the read once it has applied through the index.
 *
 * Why the index is safe: a round started after the sync arrived and acked by a quorum of
 * followers of this epoch (each with acceptedEpoch = epoch) shows that no later leader had been
 * established when the sync arrived (its quorum would intersect this one), so every write
 * completed before the sync was committed by this leader and is at or below its last zxid.
 * Using the last *proposed* zxid, not the committed one, also covers the writes of the same
 * session that reached the leader just before the sync (FIFO client order, as ZooKeeper's sync
 * flushes the leader's pipeline).
 *
 * One round trip instead of two: when the leader and the follower that asked are a quorum by
 * themselves (three voters), the leader sends that follower its reads' indexes with the round's
 * `sync_confirm`, and the follower, which vouches for the epoch when it receives it (its
 * acceptedEpoch is still the leader's), serves them once applied without waiting for
 * `sync_reply`. The same argument holds: the leader at the sync's arrival and the follower at
 * a later moment are a quorum of this epoch, which every later leader's quorum intersects.
 */

/** One sync request the leader holds until a round confirms it. */
export interface PendingSync {
  /** The server whose client asked (the leader itself, or a learner). */
  readonly origin: ServerId;
  readonly requestId: number;
  /** The leader's last zxid when the request arrived. */
  readonly index: Zxid;
}

interface Round {
  readonly round: number;
  readonly startedTick: number;
  readonly reads: PendingSync[];
  readonly acks: Set<ServerId>;
}

/**
 * The leader's rounds: at most one in flight; syncs that arrive meanwhile wait for the next
 * round (which must start after they arrived), started as soon as the current one completes.
 * A round that has not completed within `retryTicks` (an ack lost with a dropped link) is
 * replaced by a new round carrying its reads, so a sync never waits on a follower that left.
 */
export class ReadIndexRounds {
  private nextRound = 1;
  private inFlight: Round | null = null;
  private waiting: PendingSync[] = [];

  constructor(private readonly retryTicks: number) {}

  /** Queues a sync; returns the number of a round to start now, or null if one is in flight. */
  add(read: PendingSync, tick: number): number | null {
    this.waiting.push(read);
    return this.inFlight === null ? this.start(tick) : null;
  }

  /**
   * Records an ack of `round` by a voter. Returns the reads it confirms once `isQuorum` holds
   * for the ackers, or null.
   */
  ack(round: number, from: ServerId, isQuorum: (sids: ServerId[]) => boolean): PendingSync[] | null {
    const current = this.inFlight;
    if (current === null || current.round !== round) return null;
    current.acks.add(from);
    if (!isQuorum([...current.acks])) return null;
    this.inFlight = null;
    return current.reads;
  }

  /** After a round completed: the round to start for reads that waited, or null. */
  startWaiting(tick: number): number | null {
    return this.inFlight === null && this.waiting.length > 0 ? this.start(tick) : null;
  }

  /** A round that is stuck is restarted with its reads: returns the new round number, or null. */
  retryStuck(tick: number): number | null {
    const current = this.inFlight;
    if (current === null || tick - current.startedTick < this.retryTicks) return null;
    this.inFlight = null;
    this.waiting = [...current.reads, ...this.waiting];
    return this.start(tick);
  }

  /**
   * Takes `origin`'s reads out of the round in flight, numbered `round`: the leader hands them to
   * `origin` with the round itself, when the leader and `origin` alone are a quorum (see
   * `sync_confirm` in core/messages.ts), at most `max` of them. They are then neither answered
   * nor retried here.
   */
  takeReadsOf(round: number, origin: ServerId, max: number): PendingSync[] {
    const current = this.inFlight;
    if (current === null || current.round !== round) return [];
    const taken: PendingSync[] = [];
    const kept: PendingSync[] = [];
    for (const read of current.reads) (read.origin === origin && taken.length < max ? taken : kept).push(read);
    if (taken.length > 0) this.inFlight = { ...current, reads: kept };
    return taken;
  }

  /** Acks start empty: the leader acks its own round as it sends it (alone it is a quorum of one). */
  private start(tick: number): number {
    const round = this.nextRound++;
    this.inFlight = { round, startedTick: tick, reads: this.waiting, acks: new Set() };
    this.waiting = [];
    return round;
  }
}

/**
 * Syncs of this server's clients whose index is known, waiting until the server has applied
 * through it. Indexes arrive in increasing order from one leader, but the list does not rely on it.
 */
export class SyncWaiters {
  private waiters: { readonly requestId: number; readonly index: Zxid }[] = [];

  add(requestId: number, index: Zxid): void {
    this.waiters.push({ requestId, index });
  }

  /** Removes and returns the request ids whose index is at or below `committed`, in arrival order. */
  release(committed: Zxid): number[] {
    if (this.waiters.length === 0) return [];
    const released: number[] = [];
    const kept: typeof this.waiters = [];
    for (const waiter of this.waiters) {
      if (compareZxid(waiter.index, committed) <= 0) released.push(waiter.requestId);
      else kept.push(waiter);
    }
    this.waiters = kept;
    return released;
  }

  clear(): void {
    this.waiters = [];
  }
}
