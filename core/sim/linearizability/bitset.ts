/**
 * The set of operations linearized so far, as bits, with an incrementally kept hash.
 *
 * The search sets and clears one bit per step, so the hash is Zobrist-style: the XOR of a
 * fixed pseudo-random key per operation. Toggling a bit toggles its key, which keeps the
 * hash current in O(1) instead of rehashing every word on every cache lookup.
 */
export class Bitset {
  readonly words: Uint32Array;
  /** Invariant: the XOR of keyOf(i) over every set bit i. */
  hash = 0;

  constructor(readonly size: number) {
    this.words = new Uint32Array(Math.ceil(size / 32));
  }

  set(index: number): void {
    const word = index >>> 5;
    const bit = 1 << (index & 31);
    // Setting a set bit would toggle its key out of the hash again.
    if (((this.words[word] ?? 0) & bit) !== 0) throw new Error(`bit ${index} is already set`);
    this.words[word] = (this.words[word] ?? 0) | bit;
    this.hash = (this.hash ^ keyOf(index)) >>> 0;
  }

  clear(index: number): void {
    const word = index >>> 5;
    const bit = 1 << (index & 31);
    if (((this.words[word] ?? 0) & bit) === 0) throw new Error(`bit ${index} is already clear`);
    this.words[word] = (this.words[word] ?? 0) & ~bit;
    this.hash = (this.hash ^ keyOf(index)) >>> 0;
  }

  /** A copy of the bits, for storing in the memoization cache. */
  snapshot(): Uint32Array {
    return this.words.slice();
  }

  equalsSnapshot(snapshot: Uint32Array): boolean {
    const words = this.words;
    for (let i = 0; i < words.length; i++) {
      if (words[i] !== snapshot[i]) return false;
    }
    return true;
  }
}

/**
 * A fixed pseudo-random 32-bit key per index (the murmur3 finalizer of the index): the same
 * on every run and every platform, and no Math.random in core/.
 */
export function keyOf(index: number): number {
  let h = (index + 0x9e3779b9) | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** 32-bit FNV-1a of a string, as a number (core/hash.ts has the hex-string form). */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
