import { decodeMessage, MAX_DIFF_PROPOSALS, MAX_MESSAGE_BYTES, MAX_SERVER_ID, type Message } from '../messages.ts';
import type { ServerId } from '../types.ts';
import type { SimCluster } from './cluster.ts';
import type { Prng } from './prng.ts';

/** The kinds of bad input a peer can send. */
export const JUNK_KINDS = [
  'notJson', // text that does not parse
  'wrongShape', // JSON that is not an object with a kind
  'unknownKind', // an object with a kind nobody knows
  'corruptField', // a real message with one field of the wrong type, or out of range
  'absurdZxid', // negative, fractional or enormous zxids and epochs
  'oversized', // more than MAX_MESSAGE_BYTES of text, or too many proposals in one DIFF
  'spoofedSender', // a message whose `from` is not the link it came on
  'unknownSid', // a well-formed message from a sid that is no server of this cluster
  'staleReplay', // a message recorded in an earlier epoch, delivered again
] as const;
export type JunkKind = (typeof JUNK_KINDS)[number];

/** One text above the size limit, shared by every injection: building it per message would dominate the run. */
let oversizedText: string | null = null;
function oversized(): string {
  oversizedText ??= `{"kind":"PING","from":1,"epoch":1,"pad":"${'x'.repeat(MAX_MESSAGE_BYTES)}"}`;
  return oversizedText;
}

function randomText(prng: Prng): string {
  const alphabet = '{}[]":,0123456789abcdefghijklmnopqrstuvwxyz \\\u0000\u00e9\ud83d';
  let text = '';
  for (let length = prng.int(0, 40); length > 0; length--) text += alphabet[prng.int(0, alphabet.length - 1)];
  return text;
}

/** A plausible, well-formed message of a random kind, claiming to come from `from`. */
function wellFormed(prng: Prng, from: ServerId, epoch: number): Message {
  const zxid = { epoch: prng.int(0, epoch + 1), counter: prng.int(0, 50) };
  const rank = { currentEpoch: prng.int(0, epoch + 1), lastZxid: zxid, sid: from };
  const txn = { originator: from, requestId: prng.int(0, 1000), type: 'op' as const, op: { type: 'put', key: 'k0', value: 'junk' } };
  const candidates: Message[] = [
    { kind: 'election', from, rank, observer: prng.chance(0.5) },
    { kind: 'higher_id', from, rank },
    { kind: 'coordinator', from, rank, leading: prng.chance(0.5) },
    { kind: 'FOLLOWERINFO', from, acceptedEpoch: epoch, currentEpoch: epoch, lastZxid: zxid, observer: prng.chance(0.5) },
    { kind: 'NEWEPOCH', from, epoch: epoch + 1, quorumAccepted: prng.chance(0.5) },
    { kind: 'ACKEPOCH', from, epoch, currentEpoch: epoch, lastZxid: zxid },
    { kind: 'TRUNC', from, epoch, zxid },
    { kind: 'NEWLEADER', from, epoch, zxid },
    { kind: 'ACKNEWLEADER', from, epoch, zxid },
    { kind: 'UPTODATE', from, epoch, committedZxid: zxid },
    { kind: 'transaction_request', from, epoch, requestId: prng.int(0, 1000), type: 'op', op: { type: 'put', key: 'k0', value: 'junk' } },
    { kind: 'transaction_proposal', from, epoch, proposal: { zxid, txn } },
    { kind: 'transaction_acknowledge', from, epoch, zxid },
    { kind: 'transaction_commit', from, epoch, zxid },
    { kind: 'inform', from, epoch, proposal: { zxid, txn } },
    { kind: 'sync_request', from, epoch, requestId: prng.int(0, 1000) },
    { kind: 'sync_confirm', from, epoch, round: prng.int(0, 5) },
    { kind: 'sync_confirm_ack', from, epoch, round: prng.int(0, 5) },
    { kind: 'sync_reply', from, epoch, requestId: prng.int(0, 1000), zxid },
    { kind: 'PING', from, epoch },
  ];
  return prng.pick(candidates);
}

/**
 * Replacements that are invalid whatever the field: every number on the wire is a non-negative
 * integer below 2^32, every boolean a boolean, every object a strict shape with required keys.
 */
const INVALID_BY_TYPE: Readonly<Record<string, readonly unknown[]>> = {
  number: [-1, 1.5, 2 ** 53, 1e308, 'x', null, [], {}],
  boolean: [1, 'true', null, {}],
  object: [1, 'x', null, [], {}, [1, 2]],
  string: [1, 'bogus', null, {}],
};

/** A real message with one field made invalid: it must be refused, never half-understood. */
function corrupt(prng: Prng, message: Message): unknown {
  const copy: Record<string, unknown> = { ...message };
  // `op` is opaque JSON (any value is well-formed) and `kind` has its own junk kind.
  const fields = Object.keys(copy).filter((field) => field !== 'kind' && field !== 'op');
  const field = prng.pick(fields);
  copy[field] = prng.pick(INVALID_BY_TYPE[typeof copy[field]] ?? [null]);
  return prng.chance(0.5) ? JSON.stringify(copy) : copy;
}

export interface JunkOptions {
  /** Mean injections per simulated second. */
  readonly perSecond: number;
  /** Whether some injections are texts above the size limit (16 MiB each to scan). */
  readonly oversized: boolean;
}

/**
 * Feeds servers bad input between real traffic (issue: "thousands of random and malformed
 * messages… the cluster stays correct"). Malformed input must be refused at the boundary and
 * counted; well-formed input from strangers or from an earlier epoch must change nothing.
 * Well-formed messages are never forged on a real server's link in the current epoch: ZAB is
 * not Byzantine-tolerant, and a DataChannel neither duplicates nor forges.
 */
export class JunkInjector {
  readonly injected = new Map<JunkKind, number>();
  /** Messages refused at the boundary are expected to equal these (malformed by construction). */
  malformed = 0;
  private stopped = true;
  private readonly recorded: { from: ServerId; to: ServerId; message: Message }[] = [];

  constructor(
    private readonly cluster: SimCluster,
    private readonly prng: Prng,
    private readonly options: JunkOptions,
  ) {}

  /** Keeps a bounded sample of delivered real messages (not junk of our own) to replay later. */
  record(from: ServerId, to: ServerId, data: unknown): void {
    const decoded = decodeMessage(data);
    if (!decoded.ok || decoded.message.from !== from) return;
    const message = decoded.message;
    if (this.recorded.length < 2000) this.recorded.push({ from, to, message });
    else if (this.prng.chance(0.01)) this.recorded[this.prng.int(0, this.recorded.length - 1)] = { from, to, message };
  }

  start(): void {
    this.stopped = false;
    this.scheduleNext();
  }

  stop(): void {
    this.stopped = true;
  }

  private scheduleNext(): void {
    const gapMs = Math.max(0.01, -Math.log(1 - this.prng.next()) * (1000 / this.options.perSecond));
    this.cluster.world.scheduleAfter(gapMs, () => {
      if (this.stopped) return;
      this.injectOne();
      this.scheduleNext();
    });
  }

  private injectOne(): void {
    const sids = this.cluster.sids();
    const to = this.prng.pick(sids);
    const others = sids.filter((sid) => sid !== to);
    const from = others.length > 0 ? this.prng.pick(others) : sids.length + 1;
    const epoch = this.cluster.checker.leaders().size + 1;
    let kind = this.prng.pick(JUNK_KINDS);
    if (kind === 'oversized' && !this.options.oversized) kind = 'corruptField';
    let data: unknown;
    let sender = from;
    switch (kind) {
      case 'notJson':
        data = randomText(this.prng);
        break;
      case 'wrongShape':
        data = this.prng.pick<unknown>([null, 42, 'PING', [], [1, 'a'], { from }, { kind: 7, from }, '[]', '"x"', 'null']);
        break;
      case 'unknownKind':
        data = { kind: this.prng.pick(['bogus', 'ping', 'Proposal', '__proto__', 'constructor', '']), from, epoch };
        break;
      case 'corruptField':
        data = corrupt(this.prng, wellFormed(this.prng, from, epoch));
        break;
      case 'absurdZxid':
        data = { kind: 'transaction_commit', from, epoch: this.prng.pick([-1, 2 ** 40, 0.5]), zxid: { epoch: this.prng.pick([-5, 1.5, 2 ** 33]), counter: -1 } };
        break;
      case 'oversized': {
        const proposal = { zxid: { epoch: 1, counter: 1 }, txn: { originator: from, requestId: 1, type: 'op', op: null } };
        data = this.prng.chance(0.5) ? oversized() : { kind: 'DIFF', from, epoch, prevZxid: { epoch: 0, counter: 0 }, proposals: new Array(MAX_DIFF_PROPOSALS + 1).fill(proposal) };
        break;
      }
      case 'spoofedSender':
        data = wellFormed(this.prng, (from % MAX_SERVER_ID) + 1, epoch);
        break;
      case 'unknownSid':
        sender = this.prng.int(sids.length + 1, MAX_SERVER_ID);
        data = wellFormed(this.prng, sender, epoch);
        break;
      case 'staleReplay': {
        const old = this.oldEpochMessage();
        if (!old) return;
        sender = old.from;
        this.cluster.network.inject(old.from, old.to, old.message);
        this.injected.set(kind, (this.injected.get(kind) ?? 0) + 1);
        return;
      }
    }
    if (kind !== 'unknownSid') this.malformed++;
    this.injected.set(kind, (this.injected.get(kind) ?? 0) + 1);
    this.cluster.network.inject(sender, to, data);
  }

  /** A recorded message that carries an epoch older than every epoch established since. */
  private oldEpochMessage(): { from: ServerId; to: ServerId; message: Message } | null {
    const newest = Math.max(0, ...this.cluster.checker.leaders().keys());
    for (let attempt = 0; attempt < 8 && this.recorded.length > 0; attempt++) {
      const candidate = this.prng.pick(this.recorded);
      const message = candidate.message;
      if ('epoch' in message && message.kind !== 'NEWEPOCH' && message.epoch < newest) return candidate;
    }
    return null;
  }
}
