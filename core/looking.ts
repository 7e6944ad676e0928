import { assert } from './assert.ts';
import { MARK } from './marks.ts';
import type { Message, MessageOf, Rank } from './messages.ts';
import { compareHistory, compareRank, formatRank } from './rank.ts';
import type { Timeout } from './ready.ts';
import { NO_TIMERS, TIMEOUT, type Role } from './role.ts';
import type { ZabServer } from './server.ts';
import type { ServerId } from './types.ts';

const ELECTION_DUE: readonly Timeout[] = [TIMEOUT.election];

/**
 * LOOKING: the seed's Bully election, hardened (docs/ARCHITECTURE.md, phase 1).
 *
 * A round sends `election` with this server's rank to every voter. A higher-ranked LOOKING
 * server answers `higher_id` — but only while it can reach a quorum itself, or a well-connected
 * majority would wait forever on a high-ranked server stuck behind a partial partition. A round
 * that hears no `higher_id` before its timeout ends with `coordinator` to all, and this server
 * becomes a leader-elect: winning the Bully is not enough, leading needs a quorum in discovery.
 * An established leader answers any `election` with `coordinator`, so a server that restarts
 * joins it instead of starting a contest.
 */
export class LookingRole implements Role {
  readonly state = 'LOOKING';
  readonly serving = false;
  readonly leader = null;
  readonly epoch = null;
  /** Tick at which the current round gives up waiting. */
  private deadline = 0;
  /** Whether a higher-ranked server answered this round; then we wait for its `coordinator`. */
  private heardHigher = false;

  constructor(private readonly server: ZabServer) {}

  /** Called once the server holds this role, so the round is logged and sent as LOOKING. */
  start(): void {
    this.startRound();
  }

  private rank(): Rank {
    return this.server.rank();
  }

  private startRound(): void {
    this.heardHigher = false;
    this.deadline = this.server.ticks + this.server.config.electionTimeoutTicks;
    this.server.trace(() => `starts election with rank ${formatRank(this.rank())}`);
    for (const sid of this.server.otherVoters()) this.sendElection(sid);
  }

  private sendElection(to: ServerId): void {
    this.server.send(to, { kind: 'election', from: this.server.sid, rank: this.rank(), observer: this.server.observer });
  }

  timersDue(): readonly Timeout[] {
    return this.server.ticks < this.deadline ? NO_TIMERS : ELECTION_DUE;
  }

  heard(): void {}

  /** The round is over: start another, or lead if no higher-ranked server answered. */
  private onElectionTimeout(): void {
    if (this.server.observer || this.heardHigher || !this.server.canReachQuorum()) return this.startRound();
    if (!this.server.admission.selfMayVote()) {
      // Recovery before voting: a storage the ensemble does not know never leads (core/seats.ts).
      this.server.mark(MARK.storageNotAdmittedDoesNotLead);
      return this.startRound();
    }
    this.server.trace(() => 'heard no higher_id: sends coordinator');
    this.server.becomeLeading();
  }

  step(message: Message | Timeout): void {
    switch (message.kind) {
      case 'Timeout':
        assert(message.timer === 'election', () => `${this.server.sid}: LOOKING has no ${message.timer} timer`);
        return this.onElectionTimeout();
      case 'election':
        return this.handleElection(message);
      case 'higher_id':
        return this.handleHigherId(message);
      case 'coordinator':
        return this.handleCoordinator(message);
      case 'lower_id':
        // A lower-ranked server answered this round: it is alive and lets this one lead. Nothing
        // to wait for; the round ends at its deadline (a higher one may still answer).
        this.server.trace(() => `heard lower_id from ${message.from}: it defers to this round`);
        return;
      default:
        // Anything else belongs to a role this server no longer has.
        return this.server.drop(message, 'not LOOKING business');
    }
  }

  private handleElection(message: MessageOf<'election'>): void {
    if (message.observer || this.server.observer) return this.server.drop(message, 'observers take no part in elections');
    if (compareRank(message.rank, this.rank()) > 0) {
      this.server.send(message.from, { kind: 'lower_id', from: this.server.sid, rank: this.rank() });
      return;
    }
    if (!this.server.admission.selfMayVote()) return this.server.drop(message, 'outranks it, but this storage is not admitted: it silences no one');
    if (!this.server.canReachQuorum()) return this.server.drop(message, 'outranks it but cannot reach a quorum');
    this.server.send(message.from, { kind: 'higher_id', from: this.server.sid, rank: this.rank() });
  }

  private handleHigherId(message: MessageOf<'higher_id'>): void {
    if (this.server.observer || compareRank(message.rank, this.rank()) <= 0) return this.server.drop(message, 'not higher');
    if (!this.server.admission.countsPeer(message.from, this.server.admission.identityOf(message.from))) {
      return this.server.drop(message, `storage ${message.rank.storageId} of ${message.from} is not admitted: it silences no one`);
    }
    this.heardHigher = true;
    this.deadline = this.server.ticks + 2 * this.server.config.electionTimeoutTicks;
  }

  private handleCoordinator(message: MessageOf<'coordinator'>): void {
    // Follow an established leader, or a leader-elect whose history is at least as recent as
    // ours. One with an older history would give up on our ACKEPOCH anyway.
    // Observers wait for an established leader: its rank carries the epoch they will follow.
    if (this.server.observer) {
      if (!message.leading) return this.server.drop(message, 'observers follow established leaders only');
      return this.server.becomeFollowing(message.from, message.rank.currentEpoch);
    }
    const history = compareHistory(message.rank, this.rank());
    const acceptable = message.leading || history >= 0;
    if (!acceptable) return this.server.drop(message, `coordinator rank ${formatRank(message.rank)} has an older history`);
    // A leader whose storage our record does not admit is followed only if its history is newer
    // than ours (then it holds a newer record than we do, and its own rules apply).
    if (history <= 0 && !this.server.admission.countsPeer(message.from, this.server.admission.identityOf(message.from))) {
      return this.server.drop(message, `coordinator storage ${message.rank.storageId} is not admitted for seat ${message.from}`);
    }
    this.server.becomeFollowing(message.from, null);
  }

  onPersisted(): void {}

  onLinkUp(peer: ServerId): void {
    if (!this.server.observer && peer <= this.server.config.voterCount) this.sendElection(peer);
  }

  onLinkDown(): void {}

  handleClientRequest(): void {
    throw new Error('a LOOKING server never serves');
  }

  touchSessions(): void {}
}
