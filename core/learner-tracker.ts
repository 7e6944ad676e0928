import type { MessageOf } from './messages.ts';
import type { ServerId } from './types.ts';
import { ZERO_ZXID, type Zxid } from './zxid.ts';

/*
 * The leader's record of its learners (etcd's tracker/ holds the same for raft's progress): where
 * each one stands in discovery, sync and broadcast, what it has acked, and when it was last
 * heard. Only LeadingRole reads and changes it; the decisions (who counts, when to commit) stay
 * there.
 */

/** Where one learner stands with this leader. */
export type LearnerPhase =
  | 'info' // sent FOLLOWERINFO
  | 'epochSent' // was sent NEWEPOCH
  | 'epochAcked' // answered ACKEPOCH
  | 'syncing' // was sent DIFF/TRUNC/SNAP and NEWLEADER; gets every later proposal and commit
  | 'synced' // acked NEWLEADER: its log holds everything up to syncPoint durably
  | 'uptodate'; // was sent UPTODATE: serves clients

export interface Learner {
  readonly sid: ServerId;
  readonly observer: boolean;
  phase: LearnerPhase;
  acceptedEpoch: number;
  currentEpoch: number;
  lastZxid: Zxid;
  /** The leader's last zxid when this learner's sync was sent. */
  syncPoint: Zxid;
  /** Highest zxid known durable on this learner (its NEWLEADER ack covers syncPoint). */
  acked: Zxid;
  lastHeardTick: number;
  /** The storage it presented in FOLLOWERINFO, with the currentEpoch it had then (core/seats.ts). */
  readonly storageId: string;
  readonly presentedEpoch: number;
  /** The `seats` txn this leader proposed to re-admit its storage; it counts once that commits. */
  admissionZxid: Zxid | null;
}

/** Learners that get every proposal and commit from now on. */
export const FORWARDED: ReadonlySet<LearnerPhase> = new Set(['syncing', 'synced', 'uptodate']);
/** Learners whose log holds the leader's history durably (they acked NEWLEADER). */
export const ACKED_NEWLEADER: ReadonlySet<LearnerPhase> = new Set(['synced', 'uptodate']);

export class LearnerTracker {
  private readonly learners = new Map<ServerId, Learner>();

  get(sid: ServerId): Learner | undefined {
    return this.learners.get(sid);
  }

  /** A learner that sent FOLLOWERINFO starts over in phase `info`, whatever it was before. */
  add(message: MessageOf<'FOLLOWERINFO'>, tick: number): Learner {
    const learner: Learner = {
      sid: message.from,
      observer: message.observer,
      phase: 'info',
      acceptedEpoch: message.acceptedEpoch,
      currentEpoch: message.currentEpoch,
      lastZxid: message.lastZxid,
      syncPoint: ZERO_ZXID,
      acked: ZERO_ZXID,
      lastHeardTick: tick,
      storageId: message.storageId,
      presentedEpoch: message.currentEpoch,
      admissionZxid: null,
    };
    this.learners.set(message.from, learner);
    return learner;
  }

  /** A learner that lost its place (looking again, its link went down, silent): it must resync from scratch. */
  remove(sid: ServerId): void {
    this.learners.delete(sid);
  }

  /** Any valid message from a learner shows it alive. */
  heard(sid: ServerId, tick: number): void {
    const learner = this.learners.get(sid);
    if (learner) learner.lastHeardTick = tick;
  }

  /** Forgets every learner not heard from for more than `limitTicks`; returns their sids. */
  removeSilent(tick: number, limitTicks: number): ServerId[] {
    const silent: ServerId[] = [];
    for (const learner of this.learners.values()) if (tick - learner.lastHeardTick > limitTicks) silent.push(learner.sid);
    for (const sid of silent) this.learners.delete(sid);
    return silent;
  }

  all(): IterableIterator<Learner> {
    return this.learners.values();
  }

  /** Voters (not observers) in one of `phases`, in the order they first sent FOLLOWERINFO. */
  votersIn(phases: ReadonlySet<LearnerPhase>): Learner[] {
    const voters: Learner[] = [];
    for (const learner of this.learners.values()) if (!learner.observer && phases.has(learner.phase)) voters.push(learner);
    return voters;
  }
}
