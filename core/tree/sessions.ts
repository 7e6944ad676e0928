/**
 * A live session: its negotiated timeout and the ephemeral znodes it owns (ZooKeeper's
 * DataTree.ephemerals). The leader expires a session with a closeSession txn; the tree only
 * records which sessions are live.
 */
export interface Session {
  readonly timeoutMs: number;
  /** Invariant: exactly the paths of the znodes whose ephemeralOwner is this session. */
  readonly ephemeralPaths: Set<string>;
}

export type Sessions = Map<string, Session>;

/** The session's ephemeral paths in the order closeSession deletes them: sorted by code unit. */
export function sortedEphemeralPaths(session: Session): string[] {
  return [...session.ephemeralPaths].sort(compareCodeUnits);
}

/** Plain code-unit order: deterministic on every server, whatever the locale. */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
