import type { Prng } from './prng.ts';

/**
 * `--values big` (issue 10): some writes carry values up to 1 MiB, so that DIFFs, SNAPs and
 * proposals approach what a transport can carry. A big value is its tag (what histories record
 * and the linearizability checkers compare) followed by `|` and padding; reads map it back to
 * the tag, so histories stay small while the servers move the real bytes.
 */
export const BIG_VALUE_MAX_BYTES = 1024 * 1024 - 64;

export function payload(prng: Prng, tag: string, big: boolean): string {
  if (!big || !prng.chance(0.2)) return tag;
  return `${tag}|${'x'.repeat(prng.int(64 * 1024, BIG_VALUE_MAX_BYTES - tag.length - 1))}`;
}

/** The tag of a value written by `payload`. */
export function tagOf(value: string): string {
  const bar = value.indexOf('|');
  return bar < 0 ? value : value.slice(0, bar);
}
