import { hashString, type Bitset } from './bitset.ts';

/**
 * Lowe's memoization: a search node is (set of linearized operations, model state). Two
 * paths that linearized the same operations and reached an equal state have the same future,
 * so the second one is pruned. This is what keeps the Wing–Gong search from re-exploring the
 * same subproblem exponentially often.
 */
interface CacheEntry<State> {
  readonly linearized: Uint32Array;
  readonly state: State;
}

export interface StateIdentity<State> {
  equal(a: State, b: State): boolean;
  hash(state: State): string;
}

export class LinearizationCache<State> {
  // Keyed by a 32-bit hash; a bucket holds the (rare) colliding entries.
  private readonly buckets = new Map<number, CacheEntry<State>[]>();

  constructor(private readonly identity: StateIdentity<State>) {}

  /** Records the node; returns false when an equal node was already recorded. */
  addIfAbsent(linearized: Bitset, state: State): boolean {
    const key = (linearized.hash ^ hashString(this.identity.hash(state))) >>> 0;
    const bucket = this.buckets.get(key);
    if (bucket !== undefined) {
      for (const entry of bucket) {
        if (linearized.equalsSnapshot(entry.linearized) && this.identity.equal(entry.state, state)) {
          return false;
        }
      }
    }
    const entry: CacheEntry<State> = { linearized: linearized.snapshot(), state };
    if (bucket === undefined) this.buckets.set(key, [entry]);
    else bucket.push(entry);
    return true;
  }
}
