/**
 * The shrinking strategy both linearizability checkers use to cut a failing partition down to a
 * small window a human can read (window.ts for the kv register, zk-window.ts for the tree). What
 * makes a window an honest witness differs per model and lives in each `accept`; the order of
 * the search is shared:
 * (1) binary search for a short failing prefix by call time, (2) binary search for how much of
 * that prefix's front can go, (3) delta debugging's complement removal: chunks of halving size,
 * then single operations, while the rest still fails. Failing is not monotone in the cut points,
 * so (1) and (2) find a locally shortest window, not the globally shortest; (3) then makes it
 * 1-minimal when the effort bound allows. Every step keeps the current window accepted.
 */

export interface ShrinkCandidate {
  /** Ascending indexes into the partition's operations sorted by call time. */
  readonly indexes: readonly number[];
}

export interface ShrinkSearch<Candidate extends ShrinkCandidate> {
  /** The window as a candidate if it fails as an honest witness, else null (also once the effort is spent). */
  accept(indexes: readonly number[]): Candidate | null;
  hasChecksLeft(): boolean;
}

/** `window`: an accepted candidate (the whole partition, which the caller found Illegal). */
export function shrinkWindow<Candidate extends ShrinkCandidate>(search: ShrinkSearch<Candidate>, window: Candidate): Candidate {
  return removeChunks(search, shrinkFront(search, shrinkEnd(search, window)));
}

function shrinkEnd<Candidate extends ShrinkCandidate>(search: ShrinkSearch<Candidate>, window: Candidate): Candidate {
  let best = window;
  let passing = 0;
  let failing = window.indexes.length;
  while (failing - passing > 1) {
    const middle = (passing + failing) >>> 1;
    const accepted = search.accept(window.indexes.slice(0, middle));
    if (accepted === null) passing = middle;
    else [failing, best] = [middle, accepted];
  }
  return best;
}

function shrinkFront<Candidate extends ShrinkCandidate>(search: ShrinkSearch<Candidate>, window: Candidate): Candidate {
  let best = window;
  let failing = 0;
  let passing = window.indexes.length;
  while (passing - failing > 1) {
    const middle = (failing + passing) >>> 1;
    const accepted = search.accept(window.indexes.slice(middle));
    if (accepted === null) passing = middle;
    else [failing, best] = [middle, accepted];
  }
  return best;
}

function removeChunks<Candidate extends ShrinkCandidate>(search: ShrinkSearch<Candidate>, window: Candidate): Candidate {
  let best = window;
  let chunk = Math.max(1, best.indexes.length >>> 1);
  while (search.hasChecksLeft()) {
    let removedAny = false;
    let start = 0;
    while (start < best.indexes.length && best.indexes.length > 1 && search.hasChecksLeft()) {
      const rest = [...best.indexes.slice(0, start), ...best.indexes.slice(start + chunk)];
      const accepted = search.accept(rest);
      if (accepted === null) start += chunk;
      else [best, removedAny] = [accepted, true];
    }
    if (chunk === 1 && !removedAny) break;
    if (!removedAny) chunk = Math.max(1, chunk >>> 1);
    else chunk = Math.max(1, Math.min(chunk, best.indexes.length >>> 1));
  }
  return best;
}
