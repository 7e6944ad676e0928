import { assert } from './assert.ts';
import { MARK, STEP_DOWN } from './marks.ts';
import { MAX_SESSIONS_PER_PONG, type Message, type MessageOf } from './messages.ts';
import type { Timeout } from './ready.ts';
import { NO_TIMERS, TIMEOUT, type ClientRequest, type Role } from './role.ts';
import type { ZabServer } from './server.ts';
import { SnapAssembler } from './sync-messages.ts';
import type { ServerId } from './types.ts';
import { epochWithinBounds, MAX_EPOCH_JUMP } from './bounds.ts';
import { parseSeatList } from './seats.ts';
import { compareZxid, formatZxid, isSuccessor, zxidEquals } from './zxid.ts';

const LEADER_SILENT_DUE: readonly Timeout[] = [TIMEOUT.leaderSilent];
const INIT_LIMIT_DUE: readonly Timeout[] = [TIMEOUT.initLimit];

/**
 * FOLLOWING and OBSERVING: the learner's side of discovery, synchronization and broadcast.
 * A follower votes (ACKEPOCH, NEWLEADER acks, proposal acks); an observer skips the epoch
 * exchange, never acks, and learns commits through `inform`.
 *
 * A learner accepts only what directly follows its log. Anything else — a gap, a reordering, a
 * link that dropped and came back — ends the connection, and it resyncs from storage.
 */
export class FollowingRole implements Role {
  readonly state: 'FOLLOWING' | 'OBSERVING';
  private phase: 'discovery' | 'sync' | 'synced' | 'broadcast';
  /** The epoch of the leader, from NEWEPOCH (followers) or the leader's `coordinator` (observers). */
  private leaderEpoch: number | null = null;
  private lastHeardTick: number;
  /** Sessions of clients attached here touched since the last PONG. */
  private touched = new Set<string>();
  /**
   * Tick by which discovery and sync must be done (initLimit). Sync content that arrives moves it
   * on: initLimit bounds a stall, not the transfer, as ZooKeeper's learner times out a sync read.
   */
  private deadline: number;
  /** A snapshot arriving in SNAP chunks. */
  private readonly snap = new SnapAssembler();

  constructor(
    private readonly server: ZabServer,
    readonly leader: ServerId,
    observerEpoch: number | null,
  ) {
    this.leaderEpoch = observerEpoch;
    this.state = server.observer ? 'OBSERVING' : 'FOLLOWING';
    this.phase = server.observer ? 'sync' : 'discovery';
    this.lastHeardTick = server.ticks;
    this.deadline = server.ticks + server.config.initLimitTicks;
    // Everything in memory is durable here: the server reloaded from storage before looking.
    server.send(leader, {
      kind: 'FOLLOWERINFO',
      from: server.sid,
      acceptedEpoch: server.acceptedEpoch,
      currentEpoch: server.currentEpoch,
      lastZxid: server.log.lastZxid,
      observer: server.observer,
      storageId: server.admission.storageId,
    });
  }

  get serving(): boolean {
    return this.phase === 'broadcast';
  }

  get epoch(): number | null {
    return this.leaderEpoch;
  }

  heard(peer: ServerId): void {
    if (peer === this.leader) this.lastHeardTick = this.server.ticks;
  }

  /** Messages of another epoch than this one's never get here (ZabServer.settleEpoch). */
  step(message: Message | Timeout): void {
    if (message.kind === 'Timeout') return this.onTimeout(message);
    if (message.from !== this.leader) return this.server.drop(message, `not from leader ${this.leader}`);
    switch (message.kind) {
      case 'election':
        // A leader that lost its way persisted its epoch before leading, so a LOOKING leader
        // advertises at least that epoch; a lower one is a message from before, replayed.
        if (this.epoch !== null && message.rank.currentEpoch < this.epoch) return this.server.drop(message, 'stale election');
        return this.server.becomeLooking(STEP_DOWN.leaderLooking, `leader ${this.leader} is looking`);
      case 'NEWEPOCH':
        return this.handleNewEpoch(message);
      case 'TRUNC':
      case 'SNAP':
      case 'DIFF':
      case 'NEWLEADER':
        this.syncProgress(message);
        return this.handleSync(message);
      case 'UPTODATE':
        return this.handleUpToDate(message);
      case 'transaction_proposal':
        return this.handleProposal(message);
      case 'transaction_commit':
        return this.handleCommit(message);
      case 'inform':
        return this.handleInform(message);
      case 'PING':
        if (this.missedProposals(message)) return;
        return this.pong(message.epoch);
      case 'sync_confirm':
        return this.handleSyncConfirm(message);
      case 'sync_reply':
        return this.handleSyncReply(message);
      default:
        return this.server.drop(message, `not ${this.state} business`);
    }
  }

  // ---------------------------------------------------------------- discovery

  private handleNewEpoch(message: MessageOf<'NEWEPOCH'>): void {
    if (this.server.observer) return this.server.drop(message, 'observers take no epoch');
    // The leader restarted the handshake: it no longer counts this learner, so start over.
    if (this.phase !== 'discovery') return this.server.becomeLooking(STEP_DOWN.newEpochOutOfPhase, `NEWEPOCH in phase ${this.phase}`);
    const server = this.server;
    if (!epochWithinBounds(message.epoch, server.acceptedEpoch)) {
      // Never persisted: an epoch past the wire's room would leave the cluster unable to elect (core/bounds.ts).
      return server.becomeLooking(STEP_DOWN.newEpochOutOfBounds, `refused NEWEPOCH ${message.epoch} from ${message.from}: more than ${MAX_EPOCH_JUMP} above acceptedEpoch ${server.acceptedEpoch}`);
    }
    // Never ack an epoch twice (two leaders could otherwise both establish it), except to
    // rejoin a leader that a quorum already accepted: no other leader can ever establish it.
    const rejoin = message.epoch === server.acceptedEpoch && message.quorumAccepted;
    if (message.epoch <= server.acceptedEpoch && !rejoin) {
      return server.becomeLooking(STEP_DOWN.newEpochNotAbove, `NEWEPOCH ${message.epoch} not above acceptedEpoch ${server.acceptedEpoch}`);
    }
    if (rejoin) server.mark(MARK.followerRejoinsAcceptedEpoch);
    this.leaderEpoch = message.epoch;
    this.phase = 'sync';
    server.saveEpochs({ acceptedEpoch: message.epoch });
    // ACKEPOCH leaves only once acceptedEpoch is durable.
    server.sendAfterPersist(this.leader, {
      kind: 'ACKEPOCH',
      from: server.sid,
      epoch: message.epoch,
      currentEpoch: server.currentEpoch,
      lastZxid: server.log.lastZxid,
    });
  }

  // ---------------------------------------------------------------- synchronization

  private handleSync(message: MessageOf<'TRUNC' | 'SNAP' | 'DIFF' | 'NEWLEADER'>): void {
    if (this.phase !== 'sync') return this.server.becomeLooking(STEP_DOWN.syncOutOfPhase, `${message.kind} in phase ${this.phase}`);
    if (message.kind !== 'SNAP' && this.snap.inProgress) return this.server.becomeLooking(STEP_DOWN.snapInterrupted, `${message.kind} before the SNAP was complete`);
    switch (message.kind) {
      case 'TRUNC':
        return this.handleTrunc(message);
      case 'SNAP':
        return this.handleSnap(message);
      case 'DIFF':
        return this.handleDiff(message);
      case 'NEWLEADER':
        return this.handleNewLeader(message);
    }
  }

  /**
   * A SNAP chunk or a DIFF is progress: the deadline moves on, and a PONG tells the leader this
   * learner is alive. Its PINGs wait behind the sync on the FIFO link (20 MiB of SNAP holds a
   * DataChannel for seconds), so without an answer per message the leader would hear nothing,
   * drop this learner for silence mid-sync and ignore its NEWLEADER ack; and a sync longer than
   * initLimit would start over for ever.
   */
  private syncProgress(message: MessageOf<'TRUNC' | 'SNAP' | 'DIFF' | 'NEWLEADER'>): void {
    if (this.phase !== 'sync' || (message.kind !== 'SNAP' && message.kind !== 'DIFF')) return;
    this.deadline = Math.max(this.deadline, this.server.ticks + this.server.config.initLimitTicks);
    this.pong(message.epoch);
  }

  private handleTrunc(message: MessageOf<'TRUNC'>): void {
    const server = this.server;
    // ZAB guarantees the leader truncates only what never committed, to a point both histories
    // share. A TRUNC that contradicts this comes from a broken or fake leader: refuse it, loudly.
    if (!server.log.hasPoint(message.zxid)) {
      return this.refuseSync(message, `TRUNC to ${formatZxid(message.zxid)}, not a point of log (${formatZxid(server.log.baseZxid)}, ${formatZxid(server.log.lastZxid)}]`);
    }
    if (compareZxid(message.zxid, server.committedZxid) < 0 || compareZxid(message.zxid, server.snapshotZxid) < 0) {
      return this.refuseSync(message, `TRUNC to ${formatZxid(message.zxid)} below committed ${formatZxid(server.committedZxid)}`);
    }
    server.mark(MARK.followerTrunc);
    server.trace(() => `truncates after ${formatZxid(message.zxid)}`);
    server.log.truncateAfter(message.zxid);
    server.persist({ kind: 'truncateAfter', zxid: message.zxid });
  }

  private handleSnap(message: MessageOf<'SNAP'>): void {
    const server = this.server;
    const progress = this.snap.accept(message);
    if (progress.kind === 'refused') return this.refuseSync(message, progress.reason);
    if (progress.kind === 'partial') return server.trace(() => `SNAP ${formatZxid(message.zxid)}: chunk ${progress.received} of ${progress.count}`);
    const snapshot = progress.snapshot;
    // A snapshot is of committed state of this leader's history: never past its epoch, never
    // behind what this server already committed, with a digest that matches what it restores to.
    if (snapshot.zxid.epoch > message.epoch) return this.refuseSync(message, `SNAP at ${formatZxid(snapshot.zxid)} is past epoch ${message.epoch}`);
    if (compareZxid(snapshot.zxid, server.committedZxid) < 0) {
      return this.refuseSync(message, `SNAP at ${formatZxid(snapshot.zxid)} is behind committed ${formatZxid(server.committedZxid)}`);
    }
    const seats = parseSeatList(snapshot.seats);
    if (seats === null) return this.refuseSync(message, `SNAP at ${formatZxid(snapshot.zxid)} carries a malformed seat record`);
    const machine = server.restoredMachine(snapshot.data);
    if (machine === null) return this.refuseSync(message, `SNAP at ${formatZxid(snapshot.zxid)} does not restore`);
    const digest = machine.digest();
    if (digest !== snapshot.digest) return this.refuseSync(message, `SNAP ${formatZxid(snapshot.zxid)} digest ${snapshot.digest} restores as ${digest}`);
    server.machine = machine;
    server.admission.installSnapshot(seats);
    server.mark(MARK.followerSnap);
    server.trace(() => `installs snapshot at ${formatZxid(snapshot.zxid)}`);
    server.log.installSnapshot(snapshot);
    server.snapshotZxid = snapshot.zxid;
    server.committedZxid = snapshot.zxid;
    server.persist({ kind: 'installSnapshot', snapshot });
    server.emit({ kind: 'restored', zxid: snapshot.zxid, digest });
  }

  /** Sync content that contradicts itself or this server's committed history: never applied, never an assertion. */
  private refuseSync(message: Message, reason: string): void {
    this.server.trace(() => `refuses ${message.kind} from ${message.from}: ${reason}`);
    this.server.becomeLooking(STEP_DOWN.syncRefused, `refused ${message.kind} from ${message.from}: ${reason}`);
  }

  private handleDiff(message: MessageOf<'DIFF'>): void {
    const server = this.server;
    if (!zxidEquals(message.prevZxid, server.log.lastZxid)) {
      return server.becomeLooking(STEP_DOWN.diffDoesNotFollow, `DIFF after ${formatZxid(message.prevZxid)} does not follow ${formatZxid(server.log.lastZxid)}`);
    }
    let previous = message.prevZxid;
    for (const proposal of message.proposals) {
      if (proposal.zxid.epoch > message.epoch) return this.refuseSync(message, `DIFF entry ${formatZxid(proposal.zxid)} is past epoch ${message.epoch}`);
      if (!isSuccessor(previous, proposal.zxid)) {
        return server.becomeLooking(STEP_DOWN.diffDoesNotFollow, `DIFF entry ${formatZxid(proposal.zxid)} does not follow ${formatZxid(previous)}`);
      }
      previous = proposal.zxid;
    }
    server.appendToLog(message.proposals);
  }

  private handleNewLeader(message: MessageOf<'NEWLEADER'>): void {
    const server = this.server;
    if (!zxidEquals(message.zxid, server.log.lastZxid)) {
      return server.becomeLooking(STEP_DOWN.newLeaderMismatch, `NEWLEADER at ${formatZxid(message.zxid)} but synced to ${formatZxid(server.log.lastZxid)}`);
    }
    if (server.observer) {
      if (message.epoch < server.currentEpoch) return server.becomeLooking(STEP_DOWN.newLeaderOtherEpoch, `NEWLEADER of old epoch ${message.epoch}`);
    } else if (message.epoch !== server.acceptedEpoch) {
      return server.becomeLooking(STEP_DOWN.newLeaderOtherEpoch, `NEWLEADER epoch ${message.epoch} is not acceptedEpoch ${server.acceptedEpoch}`);
    }
    // The whole sync is already in the persist queue; currentEpoch goes after it, and the ack
    // leaves only once both are durable.
    server.saveEpochs({ acceptedEpoch: Math.max(server.acceptedEpoch, message.epoch), currentEpoch: message.epoch });
    server.sendAfterPersist(this.leader, { kind: 'ACKNEWLEADER', from: server.sid, epoch: message.epoch, zxid: message.zxid });
    this.phase = 'synced';
  }

  private handleUpToDate(message: MessageOf<'UPTODATE'>): void {
    const server = this.server;
    if (this.phase !== 'synced') return server.becomeLooking(STEP_DOWN.upToDateOutOfPhase, `UPTODATE in phase ${this.phase}`);
    if (compareZxid(message.committedZxid, server.log.lastZxid) > 0) {
      return server.becomeLooking(STEP_DOWN.upToDateBeyondLog, `UPTODATE commits ${formatZxid(message.committedZxid)} beyond log ${formatZxid(server.log.lastZxid)}`);
    }
    server.commitThrough(message.committedZxid);
    this.phase = 'broadcast';
    server.trace(() => `up to date with leader ${this.leader} at ${formatZxid(message.committedZxid)}`);
  }

  // ---------------------------------------------------------------- broadcast

  private handleProposal(message: MessageOf<'transaction_proposal'>): void {
    const server = this.server;
    const zxid = message.proposal.zxid;
    if (server.observer || (this.phase !== 'synced' && this.phase !== 'broadcast')) return server.drop(message, `in phase ${this.phase}`);
    // A duplicate of what the log already holds (a replay, a resent message) changes nothing.
    if (compareZxid(zxid, server.log.lastZxid) <= 0 && this.holds(zxid)) return server.drop(message, 'already logged');
    if (zxid.epoch !== this.epoch || !isSuccessor(server.log.lastZxid, zxid)) {
      return server.becomeLooking(STEP_DOWN.proposalDoesNotFollow, `proposal ${formatZxid(zxid)} does not follow ${formatZxid(server.log.lastZxid)}`);
    }
    server.appendToLog([message.proposal]);
    server.sendAfterPersist(this.leader, { kind: 'transaction_acknowledge', from: server.sid, epoch: this.epoch, zxid });
  }

  /**
   * A COMMIT of a proposal this learner holds commits it and everything before it, whatever this
   * learner committed so far. After a reload its committedZxid is its snapshot's, and from
   * NEWLEADER on its log is the leader's history: the leader forwards every commit to a learner
   * in sync, so one that accepted only the next zxid would refuse them until UPTODATE and never
   * rejoin under sustained writes (issue 10, item 1).
   */
  private handleCommit(message: MessageOf<'transaction_commit'>): void {
    const server = this.server;
    if (server.observer || (this.phase !== 'synced' && this.phase !== 'broadcast')) return server.drop(message, `in phase ${this.phase}`);
    if (compareZxid(message.zxid, server.committedZxid) <= 0) return server.drop(message, 'already committed');
    if (!this.holds(message.zxid)) {
      return server.becomeLooking(STEP_DOWN.commitNotInLog, `commit ${formatZxid(message.zxid)} of a proposal not in log (${formatZxid(server.log.baseZxid)}, ${formatZxid(server.log.lastZxid)}]`);
    }
    server.commitThrough(message.zxid);
  }

  /** The observer's COMMIT: the proposal comes with it, so it may also extend the log by one. */
  private handleInform(message: MessageOf<'inform'>): void {
    const server = this.server;
    const zxid = message.proposal.zxid;
    if (!server.observer || (this.phase !== 'synced' && this.phase !== 'broadcast')) return server.drop(message, `in phase ${this.phase}`);
    if (compareZxid(zxid, server.committedZxid) <= 0) return server.drop(message, 'already committed');
    if (compareZxid(zxid, server.log.lastZxid) > 0) {
      // A commit beyond the log: only the direct successor of the log is acceptable.
      if (!isSuccessor(server.log.lastZxid, zxid)) return server.becomeLooking(STEP_DOWN.informDoesNotFollow, `inform ${formatZxid(zxid)} does not follow ${formatZxid(server.log.lastZxid)}`);
      server.appendToLog([message.proposal]);
    } else if (!this.holds(zxid)) {
      return server.becomeLooking(STEP_DOWN.informDoesNotFollow, `inform ${formatZxid(zxid)} of a proposal not in log (${formatZxid(server.log.baseZxid)}, ${formatZxid(server.log.lastZxid)}]`);
    }
    server.commitThrough(zxid);
  }

  /** Whether the log holds `zxid` (above its base: what is below was committed with the snapshot). */
  private holds(zxid: { epoch: number; counter: number }): boolean {
    const log = this.server.log;
    return compareZxid(zxid, log.baseZxid) > 0 && log.hasPoint(zxid);
  }

  // ---------------------------------------------------------------- sync (core/read-index.ts)

  /**
   * Vouches that this follower still follows the leader in its epoch. Only a voter that holds
   * acceptedEpoch = epoch may: one that accepted a later epoch would not be following this leader.
   */
  private handleSyncConfirm(message: MessageOf<'sync_confirm'>): void {
    const server = this.server;
    if (server.observer || (this.phase !== 'synced' && this.phase !== 'broadcast')) return server.drop(message, `in phase ${this.phase}`);
    if (server.acceptedEpoch !== message.epoch) return server.drop(message, `acceptedEpoch ${server.acceptedEpoch}`);
    server.send(this.leader, { kind: 'sync_confirm_ack', from: server.sid, epoch: message.epoch, round: message.round });
    // Our own reads, handed with the round: this follower and the leader are a quorum, and it
    // vouches for the epoch now, so they are confirmed (core/read-index.ts).
    if (message.reads !== undefined && this.phase === 'broadcast') {
      server.mark(MARK.syncConfirmedWithRound);
      for (const read of message.reads) server.awaitSync(read.requestId, read.zxid);
    }
  }

  private handleSyncReply(message: MessageOf<'sync_reply'>): void {
    if (this.phase !== 'broadcast') return this.server.drop(message, `in phase ${this.phase}`);
    this.server.awaitSync(message.requestId, message.zxid);
  }

  /**
   * A follower in broadcast hears every proposal before any later PING on its FIFO link, so a
   * PING whose leader log ends past ours means proposals were lost on the way (a link that
   * dropped messages without closing). Waiting would serve a stale state for good once writes
   * stop: resync instead.
   */
  private missedProposals(message: MessageOf<'PING'>): boolean {
    const server = this.server;
    if (server.observer || this.phase !== 'broadcast' || message.epoch !== this.epoch || message.status === undefined) return false;
    if (compareZxid(message.status.lastZxid, server.log.lastZxid) <= 0) return false;
    server.becomeLooking(STEP_DOWN.missedProposals, `missed proposals: leader ${this.leader} logged ${formatZxid(message.status.lastZxid)}, this log ends at ${formatZxid(server.log.lastZxid)}`);
    return true;
  }

  private pong(epoch: number): void {
    const sessions = [...this.touched].slice(0, MAX_SESSIONS_PER_PONG);
    for (const sessionId of sessions) this.touched.delete(sessionId);
    this.server.send(this.leader, { kind: 'PONG', from: this.server.sid, epoch, sessions, status: this.server.heartbeatStatus() });
  }

  touchSessions(sessionIds: readonly string[]): void {
    for (const sessionId of sessionIds) this.touched.add(sessionId);
  }

  handleClientRequest(request: ClientRequest): void {
    if (request.type === 'sync') {
      this.server.send(this.leader, { kind: 'sync_request', from: this.server.sid, epoch: this.epoch!, requestId: request.requestId });
      return;
    }
    this.server.send(this.leader, {
      kind: 'transaction_request',
      from: this.server.sid,
      epoch: this.epoch!,
      requestId: request.requestId,
      type: request.type,
      op: request.op,
    });
  }

  // ---------------------------------------------------------------- failure detection

  timersDue(): readonly Timeout[] {
    const server = this.server;
    if (server.ticks - this.lastHeardTick > server.config.syncLimitTicks) return LEADER_SILENT_DUE;
    if (this.phase !== 'broadcast' && server.ticks > this.deadline) return INIT_LIMIT_DUE;
    return NO_TIMERS;
  }

  private onTimeout(timeout: Timeout): void {
    switch (timeout.timer) {
      case 'leaderSilent':
        // A dead renderer's link looks open for seconds: its silence is what says it is gone.
        this.server.leftForSilence(this.leader);
        return this.server.becomeLooking(STEP_DOWN.leaderSilent, `leader ${this.leader} silent for syncLimit`);
      case 'initLimit':
        return this.server.becomeLooking(STEP_DOWN.notSynced, 'not synced within initLimit');
      default:
        assert(false, () => `${this.server.sid}: ${this.state} has no ${timeout.timer} timer`);
    }
  }

  onPersisted(): void {}

  onLinkUp(): void {}

  onLinkDown(peer: ServerId): void {
    if (peer === this.leader) this.server.becomeLooking(STEP_DOWN.linkToLeaderDown, `link to leader ${peer} down`);
  }
}
