/**
 * The leader's view of client sessions (ZooKeeper's SessionTracker): when each session was last
 * touched by its client, wherever that client is attached. Sessions themselves are replicated
 * state (created and closed by committed txns); this is only the leader's clock on them, rebuilt
 * from scratch by every new leader, which gives every session a full timeout (as ZooKeeper does).
 */
export interface SessionInfo {
  readonly sessionId: string;
  readonly timeoutMs: number;
}

export class SessionTracker {
  private readonly lastTouchedMs = new Map<string, number>();
  /** Sessions whose expiry was proposed: proposed once, until the txn removes them. */
  private readonly expiring = new Set<string>();

  touch(sessionId: string, nowMs: number): void {
    this.lastTouchedMs.set(sessionId, nowMs);
  }

  /**
   * Sessions that outlived their timeout, among those the state machine holds now. Sessions it
   * no longer holds are forgotten; new ones start their timeout now.
   */
  expired(sessions: Iterable<SessionInfo>, nowMs: number): string[] {
    const alive = new Set<string>();
    const expired: string[] = [];
    for (const { sessionId, timeoutMs } of sessions) {
      alive.add(sessionId);
      const touched = this.lastTouchedMs.get(sessionId);
      if (touched === undefined) this.lastTouchedMs.set(sessionId, nowMs);
      else if (nowMs - touched > timeoutMs && !this.expiring.has(sessionId)) expired.push(sessionId);
    }
    for (const sessionId of [...this.lastTouchedMs.keys()]) if (!alive.has(sessionId)) this.lastTouchedMs.delete(sessionId);
    for (const sessionId of [...this.expiring]) if (!alive.has(sessionId)) this.expiring.delete(sessionId);
    for (const sessionId of expired) this.expiring.add(sessionId);
    return expired.sort();
  }
}
