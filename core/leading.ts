import { assert } from './assert.ts';
import { MARK, STEP_DOWN } from './marks.ts';
import type { Message, MessageOf } from './messages.ts';
import { MAX_READS_PER_ROUND } from './messages.ts';
import { isQuorum, isVoter, quorumSize } from './quorum.ts';
import { compareHistory, compareRank, formatRank } from './rank.ts';
import type { DurableMark } from './ready.ts';
import type { Timeout } from './ready.ts';
import { TIMEOUT, type ClientRequest, type Role } from './role.ts';
import type { ZabServer } from './server.ts';
import { planSync } from './sync-plan.ts';
import { ReadIndexRounds } from './read-index.ts';
import { ACKED_NEWLEADER, FORWARDED, LearnerTracker, type Learner } from './learner-tracker.ts';
import { SessionTracker } from './session-tracker.ts';
import { diffMessages, snapMessages } from './sync-messages.ts';
import type { StateMachine } from './state-machine.ts';
import { counterWithinBounds, epochWithinBounds, MAX_EPOCH_JUMP } from './bounds.ts';
import { admits, describeRecord, seatList, withEntries } from './seats.ts';
import type { ServerId, Txn } from './types.ts';
import { compareZxid, formatZxid, maxZxid, nextZxid, ZERO_ZXID, zxidEquals, type Zxid } from './zxid.ts';

/** The mark of each way of syncing a learner. */
const SYNC_MARK = { DIFF: MARK.syncDiff, TRUNC: MARK.syncTrunc, SNAP: MARK.syncSnap } as const;

/** What an established leader's tick fires, in this order; before it is established it only pings until initLimit. */
const BROADCAST_TIMERS: readonly Timeout[] = [TIMEOUT.heartbeat, TIMEOUT.checkQuorum, TIMEOUT.sessionExpiry, TIMEOUT.readRetry];
const HEARTBEAT_DUE: readonly Timeout[] = [TIMEOUT.heartbeat];
const INIT_LIMIT_DUE: readonly Timeout[] = [TIMEOUT.heartbeat, TIMEOUT.initLimit];
/** A sync round not confirmed within this many ticks (an ack lost with a link) starts over. */
const READ_ROUND_RETRY_TICKS = 2;

/**
 * LEADING: discovery, synchronization and broadcast from the leader's side (docs/ARCHITECTURE.md,
 * phases 2–4). The leader is established once a quorum (itself included, after its own durable write of
 * currentEpoch) acked NEWLEADER; only then does it commit the synced history and propose.
 */
export class LeadingRole implements Role {
  readonly state = 'LEADING';
  readonly leader: ServerId;
  private phase: 'discovery' | 'sync' | 'broadcast' = 'discovery';
  /** The epoch this leader proposed in NEWEPOCH, once a quorum sent FOLLOWERINFO. */
  private proposedEpoch: number | null = null;
  /** Whether currentEpoch = epoch is durable here (the leader's own NEWLEADER ack). */
  private ownEpochDurable = false;
  private readonly deadline: number;
  private readonly learners = new LearnerTracker();
  /**
   * The committed state plus every txn proposed since: where requests become txns (ZooKeeper's
   * PrepRequestProcessor and its outstanding changes). Created at establishment, when
   * everything in the log is committed.
   */
  private speculative: StateMachine | null = null;
  /** Syncs waiting for a heartbeat round that confirms this leader (core/read-index.ts). */
  private readonly reads = new ReadIndexRounds(READ_ROUND_RETRY_TICKS);
  private readonly sessions = new SessionTracker();
  /** Request ids of txns the leader proposes on its own (session expiry); no client waits on them. */
  private internalRequestId = 0;
  /** Founding a brand-new cluster: the blank voters that were all present (core/seats.ts). */
  private bootstrap: ReadonlySet<ServerId> | null = null;

  constructor(private readonly server: ZabServer) {
    this.leader = server.sid;
    this.deadline = server.ticks + server.config.initLimitTicks;
    const rank = server.rank();
    for (const sid of [...server.otherVoters(), ...server.knownObservers()]) {
      server.send(sid, { kind: 'coordinator', from: server.sid, rank, leading: false });
    }
    if (isQuorum([server.sid], server.config.voterCount)) this.leadAlone();
  }

  /**
   * N = 1: the leader is a quorum by itself and no FOLLOWERINFO will ever come, so it chooses
   * its epoch and enters sync on its own; its durable currentEpoch (onPersisted) establishes it.
   */
  private leadAlone(): void {
    this.maybeProposeEpoch();
    const epoch = this.epoch;
    assert(epoch !== null, () => `${this.server.sid}: a leader that is a quorum alone chose no epoch`);
    this.phase = 'sync';
    this.server.saveEpochs({ currentEpoch: epoch });
  }

  get serving(): boolean {
    return this.phase === 'broadcast';
  }

  get epoch(): number | null {
    return this.proposedEpoch;
  }

  heard(peer: ServerId): void {
    this.learners.heard(peer, this.server.ticks);
  }

  /** Messages of another epoch than the one proposed never get here (ZabServer.settleEpoch). */
  step(message: Message | Timeout): void {
    if (message.kind === 'Timeout') return this.onTimeout(message);
    const learner = this.learners.get(message.from);
    switch (message.kind) {
      case 'election':
        return this.handleElection(message);
      case 'coordinator':
        return this.handleCoordinator(message);
      case 'FOLLOWERINFO':
        return this.handleFollowerInfo(message);
      case 'ACKEPOCH':
        return this.handleAckEpoch(message, learner);
      case 'ACKNEWLEADER':
        return this.handleAckNewLeader(message, learner);
      case 'transaction_request':
        return this.handleRequest(message, learner);
      case 'transaction_acknowledge':
        return this.handleAcknowledge(message, learner);
      case 'sync_request':
        return this.handleSyncRequest(message, learner);
      case 'sync_confirm_ack':
        return this.handleSyncConfirmAck(message, learner);
      case 'PONG':
        // Before an epoch is chosen, a PONG answers a PING of an earlier leadership.
        if (this.epoch !== null) for (const sessionId of message.sessions) this.sessions.touch(sessionId, this.server.timeMs);
        return;
      default:
        return this.server.drop(message, 'not LEADING business');
    }
  }

  // ---------------------------------------------------------------- discovery

  private handleElection(message: MessageOf<'election'>): void {
    // A learner that is looking again has lost its place: it must resync from scratch.
    this.learners.remove(message.from);
    this.server.send(message.from, { kind: 'coordinator', from: this.server.sid, rank: this.server.rank(), leading: this.phase === 'broadcast' });
  }

  /**
   * Another server claims leadership too (both heard no `higher_id`, e.g. one dropped the other's
   * `election` while reloading). Resolve by rank at once instead of both waiting out initLimit:
   * a leader-elect steps back for an established leader or a higher rank (the server then
   * follows it, see ZabServer.defer), and answers a lower one with its own claim so it steps back.
   */
  private handleCoordinator(message: MessageOf<'coordinator'>): void {
    const server = this.server;
    const rank = server.rank();
    // A higher leader-elect whose storage is not admitted here silences no one (core/seats.ts).
    const outranks = compareRank(message.rank, rank) > 0 && server.admission.countsPeer(message.from, server.admission.identityOf(message.from));
    if (this.phase !== 'broadcast' && (message.leading || outranks)) {
      const cause = message.leading ? STEP_DOWN.outrankedByLeader : STEP_DOWN.outrankedByLeaderElect;
      return server.becomeLooking(cause, `${message.leading ? 'established leader' : 'leader-elect'} ${message.from} outranks ${formatRank(rank)}`);
    }
    if (message.leading) return server.drop(message, 'established leader of another epoch: the one without a quorum steps down');
    this.learners.remove(message.from);
    server.send(message.from, { kind: 'coordinator', from: server.sid, rank, leading: this.phase === 'broadcast' });
  }

  private handleFollowerInfo(message: MessageOf<'FOLLOWERINFO'>): void {
    if (message.observer === isVoter(message.from, this.server.config.voterCount)) {
      return this.server.drop(message, `observer flag ${message.observer} does not match seat ${message.from}`);
    }
    if (!message.observer && !epochWithinBounds(message.acceptedEpoch, this.server.acceptedEpoch)) {
      // Its epoch would push ours past what the wire carries (core/bounds.ts): this learner is not heard.
      this.server.mark(MARK.leaderRefusedFollowerInfoOutOfBounds);
      return this.server.drop(message, `acceptedEpoch ${message.acceptedEpoch} is more than ${MAX_EPOCH_JUMP} above ${this.server.acceptedEpoch}`);
    }
    const learner = this.learners.add(message, this.server.ticks);
    if (learner.observer) {
      if (this.phase === 'broadcast') this.startSync(learner);
      return;
    }
    if (this.epoch === null) return this.maybeProposeEpoch();
    if (message.acceptedEpoch > this.epoch) {
      // The learner promised a later epoch to another leader-elect and can never ack ours: only a
      // new election (which will pick an epoch above it) lets it back in (etcd: a higher term wins).
      return this.server.becomeLooking(STEP_DOWN.learnerAcceptedLaterEpoch, `follower ${message.from} accepted epoch ${message.acceptedEpoch} above ${this.epoch}`);
    }
    learner.phase = 'epochSent';
    const quorumAccepted = this.phase !== 'discovery';
    this.server.send(learner.sid, { kind: 'NEWEPOCH', from: this.server.sid, epoch: this.epoch, quorumAccepted });
  }

  private maybeProposeEpoch(): void {
    const informed = this.learners.votersIn(new Set(['info']));
    const admission = this.server.admission;
    if (admission.record().size === 0 && !admission.forcing && zxidEquals(this.server.log.lastZxid, ZERO_ZXID)) {
      // Blank storage and nothing recorded: a brand-new cluster, or this storage lost everything.
      // Only all N voters, every one blank, may found a cluster: blank seats never outvote one
      // that holds a history (core/seats.ts).
      const blank = informed.filter((learner) => zxidEquals(learner.lastZxid, ZERO_ZXID));
      if (blank.length < this.server.config.voterCount - 1) return;
      this.bootstrap = new Set(blank.map((learner) => learner.sid));
      this.server.mark(MARK.leaderFoundsCluster);
    } else if (!this.isCountedQuorum(informed)) {
      return;
    }
    const epoch = Math.max(this.server.acceptedEpoch, ...informed.map((learner) => learner.acceptedEpoch)) + 1;
    if (!epochWithinBounds(epoch, this.server.acceptedEpoch)) {
      return this.server.becomeLooking(STEP_DOWN.epochSpaceExhausted, `epoch ${epoch} would not fit on the wire`);
    }
    this.proposedEpoch = epoch;
    this.server.saveEpochs({ acceptedEpoch: epoch });
    this.server.trace(() => `proposes epoch ${epoch} to ${informed.map((learner) => learner.sid).join(',')}`);
    for (const learner of informed) {
      learner.phase = 'epochSent';
      this.server.sendAfterPersist(learner.sid, { kind: 'NEWEPOCH', from: this.server.sid, epoch, quorumAccepted: false });
    }
  }

  private handleAckEpoch(message: MessageOf<'ACKEPOCH'>, learner: Learner | undefined): void {
    // Nothing changes on a learner between FOLLOWERINFO and ACKEPOCH: a different last zxid means
    // an ACKEPOCH of an earlier connection.
    if (!learner || learner.phase !== 'epochSent' || !zxidEquals(message.lastZxid, learner.lastZxid)) {
      return this.server.drop(message, 'not waiting for this ACKEPOCH');
    }
    const own = { currentEpoch: this.server.currentEpoch, lastZxid: this.server.log.lastZxid };
    if (compareHistory(message, own) > 0) {
      const theirs = formatRank({ ...message, sid: message.from });
      return this.server.becomeLooking(STEP_DOWN.followerHistoryMoreRecent, `follower ${message.from} has a more recent history ${theirs}`);
    }
    learner.phase = 'epochAcked';
    learner.currentEpoch = message.currentEpoch;
    learner.lastZxid = message.lastZxid;
    if (this.phase !== 'discovery') return this.startSync(learner);
    const acked = this.learners.votersIn(new Set(['epochAcked']));
    if (!this.isCountedQuorum(acked)) return;
    // A quorum confirmed this leader's history is the most recent: only now may anyone be synced to it.
    this.phase = 'sync';
    this.server.saveEpochs({ currentEpoch: message.epoch });
    for (const each of acked) this.startSync(each);
  }

  // ---------------------------------------------------------------- synchronization

  private startSync(learner: Learner): void {
    const epoch = this.epoch;
    assert(epoch !== null, () => `startSync(${learner.sid}) before an epoch was chosen`);
    const server = this.server;
    const plan = planSync(server.log, learner.lastZxid, server.committedZxid);
    server.mark(SYNC_MARK[plan.mode]);
    server.trace(() => `syncs ${learner.sid} (last ${formatZxid(learner.lastZxid)}) by ${plan.mode} from ${formatZxid(plan.from)}`);
    if (plan.mode === 'TRUNC') server.send(learner.sid, { kind: 'TRUNC', from: server.sid, epoch, zxid: plan.truncateTo });
    if (plan.mode === 'SNAP') {
      const chunks = snapMessages(server.sid, epoch, server.snapshotNow());
      if (chunks.length > 1) server.mark(MARK.syncSnapInChunks);
      for (const chunk of chunks) server.send(learner.sid, chunk);
    }
    const diffs = diffMessages(server.sid, epoch, plan.from, server.log.entriesAfter(plan.from));
    if (diffs.length > 1) server.mark(MARK.syncDiffInMessages);
    for (const diff of diffs) server.send(learner.sid, diff);
    server.send(learner.sid, { kind: 'NEWLEADER', from: server.sid, epoch, zxid: server.log.lastZxid });
    learner.syncPoint = server.log.lastZxid;
    learner.phase = 'syncing';
  }

  private handleAckNewLeader(message: MessageOf<'ACKNEWLEADER'>, learner: Learner | undefined): void {
    if (!learner || learner.phase !== 'syncing' || !zxidEquals(message.zxid, learner.syncPoint)) {
      return this.server.drop(message, 'not waiting for this ACKNEWLEADER');
    }
    learner.phase = 'synced';
    // Proposals the learner received in its sync are durable there: the NEWLEADER ack covers them.
    learner.acked = maxZxid(learner.acked, learner.syncPoint);
    if (this.phase === 'broadcast') {
      this.sendUpToDate(learner);
      if (this.needsRecord(learner)) this.proposeSeats([learner]);
      this.maybeCommit();
      return;
    }
    this.maybeEstablish();
  }

  onPersisted(mark: DurableMark): void {
    if (this.epoch !== null && mark.currentEpoch === this.epoch && !this.ownEpochDurable) {
      this.ownEpochDurable = true;
      this.maybeEstablish();
    }
    this.maybeCommit();
  }

  private maybeEstablish(): void {
    if (this.phase !== 'sync' || !this.ownEpochDurable) return;
    const synced = this.learners.votersIn(ACKED_NEWLEADER);
    if (!this.isCountedQuorum(synced)) return;
    this.phase = 'broadcast';
    this.server.mark(MARK.leaderEstablished);
    this.server.emit({ kind: 'established', epoch: this.epoch! });
    this.server.trace(() => `established epoch ${this.epoch} with ${synced.map((learner) => learner.sid).join(',')}`);
    // The synced history is now on a quorum in this epoch: all of it is committed.
    this.server.commitThrough(this.server.log.lastZxid);
    this.speculative = this.server.cloneMachine();
    this.emitCounted(this.server.committedZxid, synced.filter((learner) => this.counts(learner)));
    // The first txn of every epoch records the storage of every synced voter, with this epoch
    // (core/seats.ts): it founds a new cluster, re-admits synced new storages, and raises the
    // horizon below which a rolled-back copy is recognised.
    // A new cluster records all its blank founders at once, synced yet or not: each is synced
    // before any of its acks counts, and one record spares a txn per founder.
    const founders = this.bootstrap === null ? [] : this.learners.votersIn(new Set(['epochSent', 'epochAcked', 'syncing'])).filter((learner) => this.bootstrap!.has(learner.sid));
    this.proposeSeats([...synced, ...founders], true);
    for (const learner of this.learners.all()) {
      if (learner.phase === 'synced') this.sendUpToDate(learner);
      else if (learner.observer && learner.phase === 'info') this.startSync(learner);
    }
  }

  private sendUpToDate(learner: Learner): void {
    learner.phase = 'uptodate';
    this.server.send(learner.sid, { kind: 'UPTODATE', from: this.server.sid, epoch: this.epoch!, committedZxid: this.server.committedZxid });
  }

  // ---------------------------------------------------------------- broadcast

  handleClientRequest(request: ClientRequest): void {
    if (request.type === 'sync') return this.addSync(this.server.sid, request.requestId);
    this.propose({ originator: this.server.sid, requestId: request.requestId, type: request.type, op: request.op });
  }

  touchSessions(sessionIds: readonly string[]): void {
    for (const sessionId of sessionIds) this.sessions.touch(sessionId, this.server.timeMs);
  }

  /** Proposes, once, the expiry of every session whose client went silent for its timeout. */
  private expireSessions(): void {
    const speculative = this.speculative!;
    if (!speculative.sessions || !speculative.expireSessionOp) return;
    for (const sessionId of this.sessions.expired(speculative.sessions(), this.server.timeMs)) {
      this.server.mark(MARK.leaderExpiresSession);
      this.server.trace(() => `expires session ${sessionId}`);
      this.propose({ originator: this.server.sid, requestId: Number.MAX_SAFE_INTEGER - this.internalRequestId++, type: 'op', op: speculative.expireSessionOp(sessionId) });
    }
  }

  private handleRequest(message: MessageOf<'transaction_request'>, learner: Learner | undefined): void {
    if (this.phase !== 'broadcast' || learner?.phase !== 'uptodate') {
      return this.server.drop(message, 'requester is not an up-to-date learner of this epoch');
    }
    if (message.type === 'op') {
      const problem = this.server.machine.validateOp(message.op);
      if (problem !== null) return this.server.drop(message, problem);
    }
    this.propose({ originator: message.from, requestId: message.requestId, type: message.type, op: message.op });
  }

  // ---------------------------------------------------------------- sync (ReadIndex)

  private handleSyncRequest(message: MessageOf<'sync_request'>, learner: Learner | undefined): void {
    if (this.phase !== 'broadcast' || learner?.phase !== 'uptodate') {
      return this.server.drop(message, 'requester is not an up-to-date learner of this epoch');
    }
    this.addSync(message.from, message.requestId);
  }

  /** The read index is the last zxid proposed so far: every write that reached this leader before the sync. */
  private addSync(origin: ServerId, requestId: number): void {
    const round = this.reads.add({ origin, requestId, index: this.server.log.lastZxid }, this.server.ticks);
    if (round !== null) this.startReadRound(round);
  }

  private startReadRound(round: number): void {
    const server = this.server;
    // With three voters the leader and any counted follower are a quorum: a follower's reads go
    // with the round itself and it serves them on receipt (core/read-index.ts), one round trip.
    const pairIsQuorum = quorumSize(server.config.voterCount) <= 2;
    for (const learner of this.learners.votersIn(ACKED_NEWLEADER)) {
      const handed = pairIsQuorum && learner.phase === 'uptodate' && this.counts(learner) ? this.reads.takeReadsOf(round, learner.sid, MAX_READS_PER_ROUND) : [];
      const reads = handed.map((read) => ({ requestId: read.requestId, zxid: read.index }));
      server.send(learner.sid, { kind: 'sync_confirm', from: server.sid, epoch: this.epoch!, round, ...(reads.length > 0 ? { reads } : {}) });
    }
    this.ackReadRound(round, server.sid);
  }

  private handleSyncConfirmAck(message: MessageOf<'sync_confirm_ack'>, learner: Learner | undefined): void {
    if (!learner || learner.observer || !ACKED_NEWLEADER.has(learner.phase)) return this.server.drop(message, 'not a synced follower');
    // Only an admitted storage vouches for this leader: one that lost its memory may have accepted a newer epoch.
    if (!this.counts(learner)) return this.server.drop(message, 'storage not admitted: does not count toward the read quorum');
    this.ackReadRound(message.round, message.from);
  }

  private ackReadRound(round: number, from: ServerId): void {
    const server = this.server;
    const confirmed = this.reads.ack(round, from, (sids) => isQuorum(sids, server.config.voterCount));
    if (confirmed === null) return;
    server.mark(MARK.syncConfirmed);
    for (const read of confirmed) {
      if (read.origin === server.sid) {
        server.awaitSync(read.requestId, read.index);
        continue;
      }
      const learner = this.learners.get(read.origin);
      // A learner that left lost its pending requests with the link (ConnectionLoss there).
      if (learner?.phase !== 'uptodate') continue;
      server.send(read.origin, { kind: 'sync_reply', from: server.sid, epoch: this.epoch!, requestId: read.requestId, zxid: read.index });
    }
    const next = this.reads.startWaiting(server.ticks);
    if (next !== null) this.startReadRound(next);
  }

  private propose(request: Txn): Zxid | null {
    const zxid = nextZxid(this.server.log.lastZxid, this.epoch!);
    if (!counterWithinBounds(zxid.counter)) {
      // ZooKeeper's rollover: a new epoch restarts the counter.
      this.server.becomeLooking(STEP_DOWN.zxidCounterExhausted, `zxid counter ${zxid.counter} would not fit on the wire: a new epoch starts`);
      return null;
    }
    let txn = request;
    if (request.type === 'op') {
      const speculative = this.speculative!;
      txn = { ...request, op: speculative.prepare(request.op, { timeMs: this.server.timeMs }) };
      speculative.apply(txn.op, zxid);
    }
    const proposal = { zxid, txn };
    this.server.appendToLog([proposal]);
    for (const learner of this.learners.all()) {
      if (!learner.observer && FORWARDED.has(learner.phase)) {
        this.server.send(learner.sid, { kind: 'transaction_proposal', from: this.server.sid, epoch: this.epoch!, proposal });
      }
    }
    return zxid;
  }

  private handleAcknowledge(message: MessageOf<'transaction_acknowledge'>, learner: Learner | undefined): void {
    if (!learner || learner.observer || !ACKED_NEWLEADER.has(learner.phase)) return this.server.drop(message, 'not a synced follower');
    if (compareZxid(message.zxid, this.server.log.lastZxid) > 0) return this.server.drop(message, 'ack beyond the log');
    learner.acked = maxZxid(learner.acked, message.zxid);
    this.maybeCommit();
  }

  /** Commits, in zxid order, everything a quorum (this leader included, once durable) has acked. */
  private maybeCommit(): boolean {
    if (this.phase !== 'broadcast') return false;
    const counted = this.learners.votersIn(ACKED_NEWLEADER).filter((learner) => this.counts(learner));
    const acked = [this.server.durableZxid, ...counted.map((learner) => learner.acked)];
    const needed = quorumSize(this.server.config.voterCount);
    if (acked.length < needed) return false;
    acked.sort((a, b) => compareZxid(b, a));
    const target = acked[needed - 1]!;
    if (compareZxid(target, this.server.committedZxid) <= 0) return false;
    for (const proposal of this.server.log.entriesBetween(this.server.committedZxid, target)) {
      for (const learner of this.learners.all()) {
        if (!FORWARDED.has(learner.phase)) continue;
        this.server.send(
          learner.sid,
          learner.observer
            ? { kind: 'inform', from: this.server.sid, epoch: this.epoch!, proposal }
            : { kind: 'transaction_commit', from: this.server.sid, epoch: this.epoch!, zxid: proposal.zxid },
        );
      }
    }
    this.server.commitThrough(target);
    this.emitCounted(target, counted.filter((learner) => compareZxid(learner.acked, target) >= 0));
    return true;
  }

  // ---------------------------------------------------------------- failure detection

  timersDue(): readonly Timeout[] {
    if (this.phase === 'broadcast') return BROADCAST_TIMERS;
    return this.server.ticks > this.deadline ? INIT_LIMIT_DUE : HEARTBEAT_DUE;
  }

  private onTimeout(timeout: Timeout): void {
    switch (timeout.timer) {
      case 'heartbeat':
        return this.bcastPing();
      case 'initLimit':
        return this.server.becomeLooking(STEP_DOWN.notEstablished, 'not established within initLimit');
      case 'checkQuorum':
        return this.checkQuorum();
      case 'sessionExpiry':
        return this.expireSessions();
      case 'readRetry': {
        const retry = this.reads.retryStuck(this.server.ticks);
        if (retry !== null) this.startReadRound(retry);
        return;
      }
      default:
        assert(false, () => `${this.server.sid}: LEADING has no ${timeout.timer} timer`);
    }
  }

  /** Learners waiting in discovery and sync hear pings too, so they wait for initLimit, not syncLimit. */
  private bcastPing(): void {
    const server = this.server;
    for (const learner of this.learners.all()) {
      server.send(learner.sid, { kind: 'PING', from: server.sid, epoch: this.epoch ?? 0, status: server.heartbeatStatus() });
    }
  }

  /** Forgets learners silent for syncLimit; steps down if the rest, with this leader, are no quorum. */
  private checkQuorum(): void {
    const server = this.server;
    for (const sid of this.learners.removeSilent(server.ticks, server.config.syncLimitTicks)) {
      server.trace(() => `drops learner ${sid}: silent for syncLimit`);
    }
    if (!this.isCountedQuorum(this.learners.votersIn(ACKED_NEWLEADER))) server.becomeLooking(STEP_DOWN.lostQuorum, 'lost quorum: steps down');
  }

  onLinkUp(): void {}

  onLinkDown(peer: ServerId): void {
    // Whatever was in flight on that link is lost: the learner must resync.
    this.learners.remove(peer);
  }

  // ---------------------------------------------------------------- recovery before voting (core/seats.ts)

  /**
   * Whether a voter learner counts toward this leader's quorums: its storage is the one the seat
   * record admits (by the committed record once established), it was one of the blank founders
   * of a new cluster, a `seats` txn this leader proposed for it has committed, or an UNSAFE
   * forced recovery counts everyone.
   */
  private counts(learner: Learner): boolean {
    if (learner.observer) return false;
    const admission = this.server.admission;
    if (admission.forcing) return true;
    if (learner.admissionZxid !== null && compareZxid(this.server.committedZxid, learner.admissionZxid) >= 0) {
      return admission.committed.get(learner.sid)?.storageId === learner.storageId;
    }
    const record = this.phase === 'broadcast' ? admission.committed : admission.record();
    // Nothing recorded yet: the blank founders of a new cluster, or a log from before seat records.
    if (record.size === 0) return this.bootstrap === null || this.bootstrap.has(learner.sid);
    return admits(record, learner.sid, { storageId: learner.storageId, currentEpoch: learner.presentedEpoch });
  }

  /**
   * Whether a voter that just synced must be recorded: no record this leader holds (its own
   * pending `seats` txns included) admits its storage yet, or its entry is from an older epoch
   * (raising it to this epoch lets a later rollback to a copy from before it be recognised).
   */
  private needsRecord(learner: Learner): boolean {
    if (learner.observer || learner.admissionZxid !== null) return false;
    const record = this.server.admission.record();
    const entry = record.get(learner.sid);
    return !admits(record, learner.sid, { storageId: learner.storageId, currentEpoch: learner.presentedEpoch }) || entry!.epoch < this.epoch!;
  }

  private isCountedQuorum(learners: readonly Learner[]): boolean {
    const counted = learners.filter((learner) => this.counts(learner)).map((learner) => learner.sid);
    return isQuorum([this.server.sid, ...counted], this.server.config.voterCount);
  }

  /** Proposes a `seats` txn recording these synced voters' storages (and this leader's, at establishment) with this epoch. */
  private proposeSeats(learners: readonly Learner[], establishing = false): void {
    const epoch = this.epoch!;
    // A synced learner's currentEpoch is durably this epoch; a founder not synced yet is recorded
    // with the epoch it has (0), or it could never count again (see `admits`).
    const entries = learners
      .filter((learner) => !learner.observer)
      .map((learner) => ({ sid: learner.sid, storageId: learner.storageId, epoch: ACKED_NEWLEADER.has(learner.phase) ? epoch : learner.presentedEpoch }));
    if (establishing) entries.push({ sid: this.server.sid, storageId: this.server.admission.storageId, epoch });
    else if (entries.length === 0) return;
    const record = withEntries(this.server.admission.record(), entries);
    const op = seatList(record).map((entry) => ({ ...entry }));
    const zxid = this.propose({ originator: this.server.sid, requestId: Number.MAX_SAFE_INTEGER - this.internalRequestId++, type: 'seats', op });
    if (zxid === null) return;
    this.server.emit({ kind: 'recorded', zxid, seats: op });
    // Each recorded learner counts by this record once it commits (its currentEpoch is now this epoch).
    for (const learner of learners) if (!learner.observer) learner.admissionZxid = zxid;
    this.server.mark(establishing ? MARK.leaderRecordsSeats : learners.some((learner) => !this.counts(learner)) ? MARK.leaderReadmitsStorage : MARK.leaderRaisesStorage);
    this.server.trace(() => `records seats ${describeRecord(record)} at ${formatZxid(zxid)}`);
  }

  private emitCounted(zxid: Zxid, learners: readonly Learner[]): void {
    // A forced recovery counts whatever is present, by the operator's explicit, unsafe choice.
    if (this.server.admission.forcing) return;
    this.server.emit({
      kind: 'counted',
      epoch: this.epoch!,
      zxid,
      storages: [{ sid: this.server.sid, storageId: this.server.admission.storageId }, ...learners.map((learner) => ({ sid: learner.sid, storageId: learner.storageId }))],
    });
  }
}
