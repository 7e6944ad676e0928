import { assert } from '../assert.ts';

const TWO_POW_32 = 4294967296;

/**
 * A seeded pseudo-random generator: sfc32 (Chris Doty-Humphrey's Small Fast Counting generator,
 * 128 bits of state, passes PractRand) with its state filled by splitmix32 from the seed. Every
 * simulator decision draws from one of these, so a seed alone replays a whole run. Not for
 * cryptography.
 */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** `seed`: any safe integer; seeds that differ in any bit give unrelated streams. */
  constructor(seed: number) {
    assert(Number.isSafeInteger(seed), () => `Prng: seed ${seed} is not a safe integer`);
    // Fold both 32-bit halves of the seed into splitmix32's state.
    let mixState = splitmix32Finalize((seed >>> 0) ^ 0x6a09e667) ^ (Math.floor(seed / TWO_POW_32) >>> 0);
    const nextMix = (): number => {
      mixState = (mixState + 0x9e3779b9) | 0;
      return splitmix32Finalize(mixState);
    };
    this.a = nextMix();
    this.b = nextMix();
    this.c = nextMix();
    this.d = nextMix();
    // sfc32's authors recommend discarding the first outputs so the state is well mixed.
    for (let i = 0; i < 12; i++) this.uint32();
  }

  /** A uniform integer in [0, 2^32). */
  uint32(): number {
    const a = this.a;
    const b = this.b;
    const c = this.c;
    const d = this.d;
    const t = (((a + b) | 0) + d) | 0;
    this.d = (d + 1) | 0;
    this.a = b ^ (b >>> 9);
    this.b = (c + (c << 3)) | 0;
    const rotated = (c << 21) | (c >>> 11);
    this.c = (rotated + t) | 0;
    return t >>> 0;
  }

  /** A uniform number in [0, 1) with 32 bits of randomness. */
  next(): number {
    return this.uint32() / TWO_POW_32;
  }

  /** A uniform integer in [min, maxInclusive]. The span may be at most 2^32. */
  int(min: number, maxInclusive: number): number {
    assert(Number.isSafeInteger(min), () => `Prng.int: min ${min} is not an integer`);
    assert(Number.isSafeInteger(maxInclusive), () => `Prng.int: max ${maxInclusive} is not an integer`);
    assert(min <= maxInclusive, () => `Prng.int: min ${min} > max ${maxInclusive}`);
    const span = maxInclusive - min + 1;
    assert(span <= TWO_POW_32, () => `Prng.int: span ${span} exceeds 2^32`);
    return min + Math.floor(this.next() * span);
  }

  /** True with the given probability. Always draws, so the stream does not depend on it. */
  chance(probability: number): boolean {
    assert(probability >= 0, () => `Prng.chance: probability ${probability} < 0`);
    assert(probability <= 1, () => `Prng.chance: probability ${probability} > 1`);
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    assert(items.length > 0, 'Prng.pick: no items');
    return items[this.int(0, items.length - 1)] as T;
  }

  /** Shuffles `items` in place (Fisher-Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      const item = items[i] as T;
      items[i] = items[j] as T;
      items[j] = item;
    }
    return items;
  }

  /**
   * A new generator whose stream is derived from (and advances) this one, so that adding draws to
   * one subsystem's stream does not shift every other subsystem's decisions.
   */
  fork(): Prng {
    const high = this.uint32() >>> 11; // 21 bits, so the seed stays a safe integer
    return new Prng(high * TWO_POW_32 + this.uint32());
  }
}

/** splitmix32's output function (Mulberry/MurmurHash3 finalizer constants). */
function splitmix32Finalize(value: number): number {
  let z = value;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** The PRNG as a plain `() => number` in [0, 1), for code written against Math.random's shape. */
export function seededRandom(seed: number): () => number {
  const prng = new Prng(seed);
  return () => prng.next();
}
