import { MAX_ZXID_PART } from './messages.ts';

/**
 * Epochs and zxids within the wire's own bounds (issue 9, item 2).
 *
 * Epochs and counters are 32-bit on the wire (core/messages.ts), as ZooKeeper's halves of a
 * 64-bit zxid. A server must never accept or persist a value the wire cannot carry, nor one that
 * leaves no room for the next: a voter that sent a well-formed `coordinator` and NEWEPOCH with
 * epoch 2^32-1 once made every follower persist it as acceptedEpoch, after which every leader
 * proposed 2^32, which no schema accepts, and the cluster never elected again, not even after
 * every tab reloaded.
 *
 * The rule: an epoch may rise by at most MAX_EPOCH_JUMP above this server's acceptedEpoch in one
 * step (a NEWEPOCH a follower acks, a FOLLOWERINFO a leader takes into its choice of epoch). An
 * honest cluster raises its epoch by one per election, and a follower that was away more than a
 * million elections is not a case worth a hole; a hostile voter can then push the epoch up by a
 * million at most per round it wins, and a leader never proposes past MAX_ZXID_PART (it steps
 * down instead). Zxid counters likewise: a leader whose next counter would not fit steps down,
 * and the next epoch restarts the counter (ZooKeeper's rollover).
 */
export const MAX_EPOCH_JUMP = 1 << 20;

/** Whether `epoch` is one this server may accept, coming from a peer, when its own acceptedEpoch is `acceptedEpoch`. */
export function epochWithinBounds(epoch: number, acceptedEpoch: number): boolean {
  return Number.isInteger(epoch) && epoch >= 0 && epoch <= MAX_ZXID_PART && epoch <= acceptedEpoch + MAX_EPOCH_JUMP;
}

/** Whether a zxid counter fits on the wire. */
export function counterWithinBounds(counter: number): boolean {
  return counter <= MAX_ZXID_PART;
}
