import type { ServerId } from './types.ts';

/** Quorum math over the N voting seats: a strict majority, whether or not every seat has a server. */
export function quorumSize(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}

export function isVoter(sid: ServerId, voterCount: number): boolean {
  return sid >= 1 && sid <= voterCount;
}

/** Whether the voters among `sids` form a quorum. */
export function isQuorum(sids: Iterable<ServerId>, voterCount: number): boolean {
  let count = 0;
  for (const sid of new Set(sids)) if (isVoter(sid, voterCount)) count++;
  return count >= quorumSize(voterCount);
}
