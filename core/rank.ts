import type { Rank } from './messages.ts';
import { compareZxid } from './zxid.ts';

/**
 * How recent a history is: (currentEpoch, lastZxid). ZAB ranks by currentEpoch first, never by
 * acceptedEpoch: a server that acked NEWLEADER(e) holds the initial history of epoch e, which
 * contains everything committed before it.
 */
export function compareHistory(a: Pick<Rank, 'currentEpoch' | 'lastZxid'>, b: Pick<Rank, 'currentEpoch' | 'lastZxid'>): number {
  if (a.currentEpoch !== b.currentEpoch) return a.currentEpoch < b.currentEpoch ? -1 : 1;
  return compareZxid(a.lastZxid, b.lastZxid);
}

/** The Bully rank (currentEpoch, lastZxid, sid): the history first, the sid breaks ties. */
export function compareRank(a: Pick<Rank, 'currentEpoch' | 'lastZxid' | 'sid'>, b: Pick<Rank, 'currentEpoch' | 'lastZxid' | 'sid'>): number {
  const history = compareHistory(a, b);
  if (history !== 0) return history;
  return a.sid === b.sid ? 0 : a.sid < b.sid ? -1 : 1;
}

export function formatRank(rank: Pick<Rank, 'currentEpoch' | 'lastZxid' | 'sid'>): string {
  return `(${rank.currentEpoch}, ${rank.lastZxid.epoch}:${rank.lastZxid.counter}, ${rank.sid})`;
}
