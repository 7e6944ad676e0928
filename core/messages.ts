import * as v from 'valibot';
import { StorageIdSchema } from './seats.ts';
import type { Json, ServerId } from './types.ts';

/**
 * The wire messages between servers, and the one validator every message from a peer passes
 * before it reaches the protocol. Election and broadcast keep the seed project's names
 * (`election`, `higher_id`, `transaction_proposal`…); discovery and synchronization use
 * ZooKeeper's (FOLLOWERINFO, NEWEPOCH, DIFF, TRUNC, SNAP, NEWLEADER, UPTODATE).
 */

/** Largest message accepted from a peer, as serialized text. Transports chunk below this. */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/** Highest server id a message may name: voters 1..N, observers above N. */
export const MAX_SERVER_ID = 1000;
/** Most proposals one DIFF carries; a longer sync is split into several DIFFs. */
export const MAX_DIFF_PROPOSALS = 1000;
/** Most UTF-16 units of snapshot text one SNAP chunk carries (far below MAX_MESSAGE_BYTES even in UTF-8). */
export const SNAP_CHUNK_CHARS = 512 * 1024;
/** Most session touches one PONG carries; more wait for the next one. */
export const MAX_SESSIONS_PER_PONG = 10_000;
/** Most syncs of one learner one `sync_confirm` carries (a round holds what arrived while the previous one ran). */
export const MAX_READS_PER_ROUND = 100_000;
/** Epochs and counters are 32-bit, as ZooKeeper's halves of a 64-bit zxid. */
export const MAX_ZXID_PART = 0xffff_ffff;

const Count = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MAX_ZXID_PART));
const Sid = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_SERVER_ID));
const SessionId = v.pipe(v.string(), v.minLength(1), v.maxLength(64));
const RequestId = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));
const ZxidSchema = v.strictObject({ epoch: Count, counter: Count });
/** Ops are opaque JSON here; the state machine validates them where they enter the cluster. */
const JsonSchema = v.custom<Json>(() => true);

const TxnSchema = v.strictObject({
  originator: Sid,
  requestId: RequestId,
  type: v.picklist(['op', 'sync', 'seats']),
  op: JsonSchema,
});
const ProposalSchema = v.strictObject({ zxid: ZxidSchema, txn: TxnSchema });
/**
 * What a heartbeat says of its sender, for displays only (the protocol never reads it): its
 * state, current epoch and last logged zxid. Optional, so heartbeats without it stay valid.
 */
const HeartbeatStatusSchema = v.optional(
  v.strictObject({ state: v.picklist(['LOOKING', 'FOLLOWING', 'LEADING', 'OBSERVING']), epoch: Count, lastZxid: ZxidSchema }),
);
/** Bully rank: (currentEpoch, lastZxid, sid), compared in that order. */
const RankSchema = v.strictObject({ currentEpoch: Count, lastZxid: ZxidSchema, sid: Sid, storageId: StorageIdSchema });

function message<K extends string, E extends v.ObjectEntries>(kind: K, entries: E) {
  return v.strictObject({ kind: v.literal(kind), from: Sid, ...entries });
}

export const MessageSchema = v.variant('kind', [
  // Election (the seed's Bully algorithm).
  message('election', { rank: RankSchema, observer: v.boolean() }),
  message('higher_id', { rank: RankSchema }),
  message('lower_id', { rank: RankSchema }),
  message('coordinator', { rank: RankSchema, leading: v.boolean() }),
  // Discovery.
  message('FOLLOWERINFO', {
    acceptedEpoch: Count,
    currentEpoch: Count,
    lastZxid: ZxidSchema,
    observer: v.boolean(),
    /** The sender's storage (core/seats.ts): it counts only if the ensemble recorded it for its seat. */
    storageId: StorageIdSchema,
  }),
  /**
   * `quorumAccepted`: a quorum already persisted this epoch for this leader, so no other leader
   * can ever establish it; a learner whose acceptedEpoch is already `epoch` (it acked it before
   * a crash or a dropped link) may then rejoin without a higher epoch.
   */
  message('NEWEPOCH', { epoch: Count, quorumAccepted: v.boolean() }),
  message('ACKEPOCH', { epoch: Count, currentEpoch: Count, lastZxid: ZxidSchema }),
  // Synchronization.
  message('DIFF', {
    epoch: Count,
    prevZxid: ZxidSchema,
    proposals: v.pipe(v.array(ProposalSchema), v.maxLength(MAX_DIFF_PROPOSALS)),
  }),
  message('TRUNC', { epoch: Count, zxid: ZxidSchema }),
  /**
   * One chunk of a snapshot's JSON text (core/sync-messages.ts): chunks `0..count-1` of one
   * (zxid, digest) come in order; the learner restores the snapshot once it has all of them.
   */
  message('SNAP', {
    epoch: Count,
    zxid: ZxidSchema,
    digest: v.pipe(v.string(), v.maxLength(64)),
    index: Count,
    count: v.pipe(Count, v.minValue(1)),
    chunk: v.pipe(v.string(), v.maxLength(SNAP_CHUNK_CHARS)),
    /** The seat record at `zxid` (core/seats.ts), in chunk 0; checked where it is installed. */
    seats: v.optional(JsonSchema),
  }),
  message('NEWLEADER', { epoch: Count, zxid: ZxidSchema }),
  /** `zxid` repeats NEWLEADER's: the ack is for that sync, not for an earlier one in the same epoch. */
  message('ACKNEWLEADER', { epoch: Count, zxid: ZxidSchema }),
  message('UPTODATE', { epoch: Count, committedZxid: ZxidSchema }),
  // Broadcast (the seed's two-phase commit).
  message('transaction_request', { epoch: Count, requestId: RequestId, type: v.picklist(['op', 'sync']), op: JsonSchema }),
  message('transaction_proposal', { epoch: Count, proposal: ProposalSchema }),
  message('transaction_acknowledge', { epoch: Count, zxid: ZxidSchema }),
  message('transaction_commit', { epoch: Count, zxid: ZxidSchema }),
  message('inform', { epoch: Count, proposal: ProposalSchema }),
  // sync without a log write (core/read-index.ts): a learner's client asks, the leader confirms
  // its leadership with one round of its epoch and answers with the index to apply through.
  message('sync_request', { epoch: Count, requestId: RequestId }),
  /**
   * `reads`: the recipient's own syncs of this round with their indexes, when the leader and the
   * recipient alone are a quorum; the recipient serves them on receipt, no `sync_reply` follows.
   */
  message('sync_confirm', { epoch: Count, round: Count, reads: v.optional(v.pipe(v.array(v.strictObject({ requestId: RequestId, zxid: ZxidSchema })), v.maxLength(MAX_READS_PER_ROUND))) }),
  message('sync_confirm_ack', { epoch: Count, round: Count }),
  message('sync_reply', { epoch: Count, requestId: RequestId, zxid: ZxidSchema }),
  /**
   * To a voter whose storage the sender's seat record does not admit (it sent `election`): the
   * seats whose storage the sender knows is not the recorded one. Informational only: it lets a
   * tab with new storage say that it is recovering, or that a quorum lost its storage.
   */
  message('SEATS', { lost: v.pipe(v.array(Sid), v.maxLength(MAX_SERVER_ID)) }),
  // Failure detection.
  message('PING', { epoch: Count, status: HeartbeatStatusSchema }),
  /** `sessions`: client sessions touched on this learner since its last PONG (kept alive at the leader). */
  message('PONG', { epoch: Count, sessions: v.pipe(v.array(SessionId), v.maxLength(MAX_SESSIONS_PER_PONG)), status: HeartbeatStatusSchema }),
]);

export type Message = v.InferOutput<typeof MessageSchema>;
export type MessageKind = Message['kind'];
export type MessageOf<K extends MessageKind> = Extract<Message, { kind: K }>;
export type Rank = MessageOf<'election'>['rank'];
export type HeartbeatStatus = NonNullable<MessageOf<'PING'>['status']>;

/** A message with its destination, as the protocol hands it to the driver. */
export interface Envelope {
  readonly to: ServerId;
  readonly message: Message;
}

export type DecodeResult = { readonly ok: true; readonly message: Message } | { readonly ok: false; readonly reason: string };

/**
 * The one door for data from a peer: serialized text (size-checked, then parsed) or an already
 * parsed value. Never throws; what it refuses, the caller logs and counts.
 */
export function decodeMessage(data: unknown): DecodeResult {
  let value = data;
  if (typeof data === 'string') {
    if (data.length > MAX_MESSAGE_BYTES) return { ok: false, reason: `oversized (${data.length} bytes)` };
    try {
      value = JSON.parse(data);
    } catch {
      return { ok: false, reason: 'not JSON' };
    }
  }
  const result = v.safeParse(MessageSchema, value);
  if (result.success) return { ok: true, message: result.output };
  const issue = result.issues[0];
  const where = issue?.path?.map((item) => String(item.key)).join('.') ?? '';
  return { ok: false, reason: `malformed${where ? ` at ${where}` : ''}: ${issue?.message ?? 'unknown issue'}` };
}

export function encodeMessage(message: Message): string {
  return JSON.stringify(message);
}
