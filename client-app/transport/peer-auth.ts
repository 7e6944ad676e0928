import * as v from 'valibot';
import type { ServerId } from '../../core/types.ts';
import { base64url, fromBase64url, type HmacKey } from '../../protocol/cluster-key.ts';

/**
 * The join-key handshake two tabs run on a fresh DataChannel before either accepts a protocol
 * message from the other. The signaling server is a relay, not the gatekeeper: a restarted,
 * replaced or hostile server can put anyone in a cluster's room, so each tab proves to the
 * other that it holds the cluster's key, and a tab that cannot is never heard.
 *
 * Each side sends `hello` with a fresh 256-bit nonce as soon as the channel opens, then, once it
 * has the other's hello, `proof`: HMAC-SHA-256 under the peer-auth key (derived from the join
 * key, protocol/cluster-key.ts; the signaling server never sees it) over
 *
 *   label | cluster | prover seat | verifier seat | verifier's nonce | prover's nonce
 *         | prover's DTLS fingerprint | verifier's DTLS fingerprint
 *
 * - The verifier's own fresh nonce makes every proof good for one channel only: a relay that
 *   recorded an old handshake cannot replay it.
 * - Prover and verifier seats in that order make a proof good in one direction only: a relay
 *   cannot reflect a tab's proof back to it as the other side's, nor pass it to another seat.
 * - The cluster name keeps a key shared by two clusters from letting one in the other.
 * - The DTLS fingerprints (from the SDP each side actually used) bind the proof to this very
 *   channel: a signaling server that rewrote the fingerprints to sit in the middle would have
 *   each tab see a different pair, and the proofs would not verify.
 *
 * Proofs are checked with `crypto.subtle.verify` (constant time). Messages are JSON text with an
 * `auth` field, framed like protocol messages; anything else before the handshake completes is
 * not a handshake message and is dropped by the caller. A malformed handshake message, a second
 * hello, a proof before a hello, or a proof that does not verify fails the handshake.
 */

const PROOF_LABEL = 'tabkeeper peer auth proof v1';
const NONCE_BYTES = 32;

const Base64urlSchema = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{43}$/, 'expected 32 bytes of base64url'));
const SeatSchema = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(2 ** 31));
const HandshakeMessageSchema = v.variant('auth', [
  v.strictObject({ auth: v.literal('hello'), v: v.literal(1), cluster: v.pipe(v.string(), v.maxLength(64)), from: SeatSchema, to: SeatSchema, nonce: Base64urlSchema }),
  v.strictObject({ auth: v.literal('proof'), mac: Base64urlSchema }),
]);
type HandshakeMessage = v.InferOutput<typeof HandshakeMessageSchema>;

export interface PeerHandshakeOptions {
  readonly cluster: string;
  /** The peer-auth key (protocol/cluster-key.ts `peerAuthKey`). */
  readonly key: HmacKey;
  readonly local: ServerId;
  readonly remote: ServerId;
  /** DTLS certificate fingerprints of this channel as this side sees them ('' if unknown). */
  readonly fingerprints: () => { readonly local: string; readonly remote: string };
  /** Nonce source (tests); crypto.getRandomValues otherwise. */
  readonly random?: (bytes: number) => Uint8Array;
}

export type HandshakeStep =
  /** Send `send` (if any) to the peer; the handshake goes on. */
  | { readonly kind: 'continue'; readonly send: string | null }
  /** The peer proved the key: from now on its messages are accepted. */
  | { readonly kind: 'authenticated' }
  | { readonly kind: 'failed'; readonly reason: string };

/** Whether a received text is meant as a handshake message (the caller drops anything else before authentication). */
export function isHandshakeText(text: string): boolean {
  return text.startsWith('{"auth":');
}

export class PeerHandshake {
  private readonly nonce: string;
  private peerNonce: string | null = null;
  private done: 'authenticated' | 'failed' | null = null;

  constructor(private readonly options: PeerHandshakeOptions) {
    const random = options.random ?? ((bytes: number) => crypto.getRandomValues(new Uint8Array(bytes)));
    this.nonce = base64url(random(NONCE_BYTES));
  }

  /** The hello to send as soon as the channel opens. */
  hello(): string {
    const { cluster, local, remote } = this.options;
    return JSON.stringify({ auth: 'hello', v: 1, cluster, from: local, to: remote, nonce: this.nonce });
  }

  /** One message from the peer. Call in arrival order, one at a time (await each). */
  async receive(text: string): Promise<HandshakeStep> {
    if (this.done !== null) return this.fail(`handshake message after the handshake ${this.done}`);
    let message: HandshakeMessage;
    try {
      const parsed = v.safeParse(HandshakeMessageSchema, JSON.parse(text));
      if (!parsed.success) return this.fail(`malformed handshake message: ${parsed.issues[0]?.message ?? 'invalid'}`);
      message = parsed.output;
    } catch {
      return this.fail('handshake message is not JSON');
    }
    const { cluster, local, remote } = this.options;
    if (message.auth === 'hello') {
      if (this.peerNonce !== null) return this.fail('a second hello');
      if (message.cluster !== cluster) return this.fail(`hello for cluster ${JSON.stringify(message.cluster)}, not ${cluster}`);
      if (message.from !== remote || message.to !== local) return this.fail(`hello from seat ${message.from} to ${message.to} on the link ${remote}->${local}`);
      if (message.nonce === this.nonce) return this.fail('hello echoes this tab\'s own nonce');
      // Without both fingerprints the proof would bind to no channel at all: refuse rather than
      // prove something a relay in the middle could reuse.
      const fingerprints = this.options.fingerprints();
      if (fingerprints.local === '' || fingerprints.remote === '') return this.fail('the channel\'s DTLS fingerprints are unknown (no a=fingerprint in its descriptions)');
      this.peerNonce = message.nonce;
      const mac = await this.sign(this.transcript('prove'));
      return { kind: 'continue', send: JSON.stringify({ auth: 'proof', mac }) };
    }
    if (this.peerNonce === null) return this.fail('proof before hello');
    const mac = fromBase64url(message.mac);
    if (mac === null) return this.fail('malformed proof');
    const valid = await crypto.subtle.verify('HMAC', this.options.key, mac as Uint8Array<ArrayBuffer>, encode(this.transcript('verify')));
    if (!valid) return this.fail('the proof does not verify: the peer does not hold this cluster\'s join key (or the channel was tampered with)');
    this.done = 'authenticated';
    return { kind: 'authenticated' };
  }

  /** What a proof covers: this side proving (`prove`) or checking the peer's proof (`verify`). */
  private transcript(role: 'prove' | 'verify'): string {
    const { cluster, local, remote } = this.options;
    const fingerprints = this.options.fingerprints();
    const peerNonce = this.peerNonce ?? '';
    const [prover, verifier, verifierNonce, proverNonce, proverPrint, verifierPrint] =
      role === 'prove'
        ? [local, remote, peerNonce, this.nonce, fingerprints.local, fingerprints.remote]
        : [remote, local, this.nonce, peerNonce, fingerprints.remote, fingerprints.local];
    return [PROOF_LABEL, cluster, prover, verifier, verifierNonce, proverNonce, proverPrint, verifierPrint].join('\n');
  }

  private async sign(transcript: string): Promise<string> {
    return base64url(new Uint8Array(await crypto.subtle.sign('HMAC', this.options.key, encode(transcript))));
  }

  private fail(reason: string): HandshakeStep {
    this.done = 'failed';
    return { kind: 'failed', reason };
  }
}

function encode(text: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(text) as Uint8Array<ArrayBuffer>;
}

/**
 * The DTLS certificate fingerprint an SDP announces (`a=fingerprint:sha-256 AB:CD:…`), or ''.
 * Each side reads its own description and the remote one it applied, so a fingerprint rewritten
 * in transit makes the two sides' views differ.
 */
export function sdpFingerprint(sdp: string | undefined): string {
  const match = /^a=fingerprint:(\S+) (\S+)/m.exec(sdp ?? '');
  return match === null ? '' : `${match[1]!.toLowerCase()} ${match[2]!.toUpperCase()}`;
}
