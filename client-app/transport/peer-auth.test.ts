import { describe, expect, test } from 'vitest';
import { peerAuthKey } from '../../protocol/cluster-key.ts';
import { PeerHandshake, sdpFingerprint, type HandshakeStep } from './peer-auth.ts';

// Goal: two tabs accept each other only if both hold the cluster's join key, and nothing a relay
// in between does (tamper, replay an old handshake, reflect a tab's own messages, rewrite the
// DTLS fingerprints) gets a tab without the key authenticated. Method: two PeerHandshakes wired
// through a relay function the test controls, with real WebCrypto.

const PRINT_A = 'sha-256 AA:AA';
const PRINT_B = 'sha-256 BB:BB';

interface Side {
  readonly handshake: PeerHandshake;
  result: HandshakeStep | null;
}

async function side(options: { key?: string; cluster?: string; local: number; remote: number; prints?: { local: string; remote: string } }): Promise<Side> {
  const cluster = options.cluster ?? 'prod';
  const prints = options.prints ?? (options.local === 1 ? { local: PRINT_A, remote: PRINT_B } : { local: PRINT_B, remote: PRINT_A });
  const handshake = new PeerHandshake({
    cluster,
    key: await peerAuthKey(cluster, options.key ?? 'the key'),
    local: options.local,
    remote: options.remote,
    fingerprints: () => prints,
  });
  return { handshake, result: null };
}

/** Runs a handshake between a (seat 1) and b (seat 2); `relay` may rewrite or drop each message (null drops). */
async function run(a: Side, b: Side, relay: (text: string, to: 'a' | 'b') => string | null = (text) => text): Promise<void> {
  const queue: { to: 'a' | 'b'; text: string }[] = [
    { to: 'b', text: a.handshake.hello() },
    { to: 'a', text: b.handshake.hello() },
  ];
  while (queue.length > 0) {
    const { to, text } = queue.shift()!;
    const relayed = relay(text, to);
    if (relayed === null) continue;
    const target = to === 'a' ? a : b;
    if (target.result !== null && target.result.kind !== 'continue') continue;
    const step = await target.handshake.receive(relayed);
    target.result = step;
    if (step.kind === 'continue' && step.send !== null) queue.push({ to: to === 'a' ? 'b' : 'a', text: step.send });
  }
}

function failed(s: Side): string {
  return s.result?.kind === 'failed' ? s.result.reason : `not failed: ${JSON.stringify(s.result)}`;
}

describe('peer handshake', () => {
  test('two tabs with the same key authenticate each other in one round trip', async () => {
    const a = await side({ local: 1, remote: 2 });
    const b = await side({ local: 2, remote: 1 });
    await run(a, b);
    expect(a.result).toEqual({ kind: 'authenticated' });
    expect(b.result).toEqual({ kind: 'authenticated' });
  });

  test('a tab with another key fails, and so does its peer', async () => {
    const a = await side({ local: 1, remote: 2 });
    const b = await side({ local: 2, remote: 1, key: 'a guess' });
    await run(a, b);
    expect(failed(a)).toMatch(/does not verify/);
    expect(failed(b)).toMatch(/does not verify/);
  });

  test('the same key for another cluster name does not pass', async () => {
    const a = await side({ local: 1, remote: 2 });
    const b = await side({ local: 2, remote: 1, cluster: 'staging' });
    await run(a, b);
    expect(failed(a)).toMatch(/hello for cluster "staging"/);
  });

  test('a relay that flips one character of a nonce or a proof gets both proofs refused', async () => {
    for (const field of ['nonce', 'mac']) {
      const a = await side({ local: 1, remote: 2 });
      const b = await side({ local: 2, remote: 1 });
      await run(a, b, (text, to) => {
        if (to !== 'b' || !text.includes(`"${field}"`)) return text;
        return text.replace(new RegExp(`"${field}":"(.)`), (_, first: string) => `"${field}":"${first === 'A' ? 'B' : 'A'}`);
      });
      expect(failed(b)).toMatch(/does not verify/);
    }
  });

  test('a relay replaying an earlier handshake of a tab that holds the key gets nowhere: each proof covers the verifier\'s fresh nonce', async () => {
    // Record a genuine handshake of seat 1.
    const recorded: string[] = [];
    await run(await side({ local: 1, remote: 2 }), await side({ local: 2, remote: 1 }), (text, to) => {
      if (to === 'b') recorded.push(text);
      return text;
    });
    expect(recorded).toHaveLength(2);
    // Later, an outsider without the key plays seat 1 by replaying it to a fresh seat 2.
    const victim = await side({ local: 2, remote: 1 });
    victim.handshake.hello();
    let step = await victim.handshake.receive(recorded[0]!);
    expect(step.kind).toBe('continue');
    step = await victim.handshake.receive(recorded[1]!);
    expect(step).toMatchObject({ kind: 'failed', reason: expect.stringMatching(/does not verify/) });
  });

  test('a relay reflecting a tab\'s own hello and proof back to it fails: proofs are bound to prover and verifier', async () => {
    const b = await side({ local: 2, remote: 1 });
    const hello = JSON.parse(b.handshake.hello()) as Record<string, unknown>;
    // The reflected hello is rewritten to look as if it came from seat 1 (hello carries no MAC).
    const reflectedHello = JSON.stringify({ ...hello, from: 1, to: 2, nonce: 'x'.repeat(43) });
    const first = await b.handshake.receive(reflectedHello);
    if (first.kind !== 'continue' || first.send === null) throw new Error('expected a proof');
    // b's own proof, reflected.
    expect(await b.handshake.receive(first.send)).toMatchObject({ kind: 'failed', reason: expect.stringMatching(/does not verify/) });
    // A hello that echoes b's own nonce is refused outright.
    const c = await side({ local: 2, remote: 1 });
    const own = JSON.parse(c.handshake.hello()) as Record<string, unknown>;
    expect(await c.handshake.receive(JSON.stringify({ ...own, from: 1, to: 2 }))).toMatchObject({ kind: 'failed', reason: /own nonce/ });
  });

  test('a relay that rewrote the DTLS fingerprints (to sit in the middle of the channel) is caught even with the right key', async () => {
    const a = await side({ local: 1, remote: 2, prints: { local: PRINT_A, remote: 'sha-256 EE:EE' } });
    const b = await side({ local: 2, remote: 1, prints: { local: PRINT_B, remote: 'sha-256 FF:FF' } });
    await run(a, b);
    expect(failed(a)).toMatch(/does not verify/);
    expect(failed(b)).toMatch(/does not verify/);
  });

  test('a channel whose DTLS fingerprints are unknown is refused (a proof must bind to a channel)', async () => {
    const a = await side({ local: 1, remote: 2, prints: { local: PRINT_A, remote: '' } });
    const b = await side({ local: 2, remote: 1 });
    await run(a, b);
    expect(failed(a)).toMatch(/fingerprints are unknown/);
  });

  test('hello from the wrong seat, a proof before hello, a second hello and garbage fail the handshake', async () => {
    const wrongSeat = await side({ local: 2, remote: 1 });
    const other = await side({ local: 3, remote: 2 });
    expect(await wrongSeat.handshake.receive(other.handshake.hello())).toMatchObject({ kind: 'failed', reason: /from seat 3 to 2/ });
    const early = await side({ local: 2, remote: 1 });
    expect(await early.handshake.receive(JSON.stringify({ auth: 'proof', mac: 'A'.repeat(43) }))).toMatchObject({ kind: 'failed', reason: 'proof before hello' });
    const twice = await side({ local: 2, remote: 1 });
    const hello = (await side({ local: 1, remote: 2 })).handshake.hello();
    expect((await twice.handshake.receive(hello)).kind).toBe('continue');
    expect(await twice.handshake.receive(hello)).toMatchObject({ kind: 'failed', reason: 'a second hello' });
    for (const garbage of ['{"auth":"hello"}', '{"auth":', '{"auth":"proof","mac":"short"}']) {
      expect((await (await side({ local: 2, remote: 1 })).handshake.receive(garbage)).kind).toBe('failed');
    }
  });

  test('sdpFingerprint reads the certificate fingerprint of an SDP', () => {
    const sdp = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\na=fingerprint:sha-256 ab:cd:EF\r\na=setup:actpass\r\n';
    expect(sdpFingerprint(sdp)).toBe('sha-256 AB:CD:EF');
    expect(sdpFingerprint(undefined)).toBe('');
  });
});
