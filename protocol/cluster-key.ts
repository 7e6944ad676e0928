/**
 * What a cluster's join key becomes before it leaves a tab or a CLI. Both derivations are
 * HMAC-SHA-256 keyed with the join key over a label and the cluster name, through WebCrypto
 * (`crypto.subtle`, in browsers and in Node alike), so this file imports no Node module.
 *
 * - The room token goes to the signaling server as `key` (join, gateway-connect): the server
 *   namespaces rooms by it (signaling/rooms.ts). It is all the server ever sees.
 * - The peer-auth key never leaves the tab: tabs prove knowledge of it to each other over the
 *   DataChannel (client-app/transport/peer-auth.ts). HMAC is one-way, so a hostile signaling
 *   server that collects room tokens still cannot compute it: it can put an outsider in the room,
 *   but the outsider fails the handshake and never gets a protocol message accepted.
 *
 * Different labels keep the two apart; the cluster name in each keeps one key used for two
 * clusters from giving the same token or the same proof.
 */

const ROOM_LABEL = 'tabkeeper room token v1\n';
const PEER_AUTH_LABEL = 'tabkeeper peer auth v1\n';

const encoder = new TextEncoder();

/** WebCrypto's types by inference, so this file type-checks against Node's and the DOM's declarations alike. */
type Subtle = typeof globalThis.crypto.subtle;
export type HmacKey = Awaited<ReturnType<Subtle['importKey']>>;

function subtle(): Subtle {
  const found = (globalThis.crypto as typeof globalThis.crypto | undefined)?.subtle;
  if (found === undefined) {
    throw new Error('a cluster with a join key needs WebCrypto (crypto.subtle): open the page over https or on localhost');
  }
  return found;
}

async function hmac(key: string, message: string): Promise<Uint8Array> {
  const imported = await subtle().importKey('raw', encoder.encode(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await subtle().sign('HMAC', imported, encoder.encode(message)));
}

/** The token a tab or CLI sends as `key` for `cluster`: base64url, 43 characters. */
export async function roomToken(cluster: string, key: string): Promise<string> {
  return base64url(await hmac(key, ROOM_LABEL + cluster));
}

/** The HMAC key tabs of `cluster` prove to each other that they hold (peer-auth.ts). */
export async function peerAuthKey(cluster: string, key: string): Promise<HmacKey> {
  const raw = await hmac(key, PEER_AUTH_LABEL + cluster);
  return subtle().importKey('raw', raw as Uint8Array<ArrayBuffer>, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
}

export function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

export function fromBase64url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null;
  const binary = atob(text.replaceAll('-', '+').replaceAll('_', '/') + '='.repeat((4 - (text.length % 4)) % 4));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}
