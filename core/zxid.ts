/**
 * A zxid names one transaction: the epoch of the leader that proposed it and a counter that
 * restarts at 0 in every epoch (the first proposal of an epoch has counter 1). Zxids are compared
 * lexicographically. On the wire a zxid is two integers, never one float: 2^53 would overflow the
 * way ZooKeeper's 64-bit (epoch << 32 | counter) does not.
 */
export interface Zxid {
  readonly epoch: number;
  readonly counter: number;
}

export const ZERO_ZXID: Zxid = Object.freeze({ epoch: 0, counter: 0 });

export function zxid(epoch: number, counter: number): Zxid {
  return { epoch, counter };
}

/** Negative, zero or positive as a is before, equal to or after b. */
export function compareZxid(a: Zxid, b: Zxid): number {
  if (a.epoch !== b.epoch) return a.epoch < b.epoch ? -1 : 1;
  if (a.counter !== b.counter) return a.counter < b.counter ? -1 : 1;
  return 0;
}

export function zxidEquals(a: Zxid, b: Zxid): boolean {
  return a.epoch === b.epoch && a.counter === b.counter;
}

export function maxZxid(a: Zxid, b: Zxid): Zxid {
  return compareZxid(a, b) >= 0 ? a : b;
}

/** The zxid a leader of `epoch` gives its next proposal after `last`. */
export function nextZxid(last: Zxid, epoch: number): Zxid {
  if (epoch < last.epoch) throw new Error(`nextZxid: epoch ${epoch} is before last zxid ${formatZxid(last)}`);
  return epoch === last.epoch ? { epoch, counter: last.counter + 1 } : { epoch, counter: 1 };
}

/**
 * Whether `next` may directly follow `previous` in a history: the next counter of the same epoch,
 * or the first proposal of a later epoch. Followers accept only direct successors, so a gap
 * (a message lost on a link that dropped and came back) is always noticed.
 */
export function isSuccessor(previous: Zxid, next: Zxid): boolean {
  if (next.epoch === previous.epoch) return next.counter === previous.counter + 1;
  return next.epoch > previous.epoch && next.counter === 1;
}

/** "3:7" — the form every log line and trace uses. */
export function formatZxid(z: Zxid): string {
  return `${z.epoch}:${z.counter}`;
}

export function parseZxid(text: string): Zxid {
  const match = /^(\d+):(\d+)$/.exec(text);
  if (!match) throw new Error(`not a zxid: ${JSON.stringify(text)}`);
  return { epoch: Number(match[1]), counter: Number(match[2]) };
}
