import { createHash, randomBytes } from 'node:crypto';

/**
 * CLI sessions carry a secret, as ZooKeeper sessions carry a password. A session's clientId is
 * public: it is the session id in the data tree, so `stat` of an ephemeral znode shows it as
 * `ephemeralOwner`. So the clientId is made self-certifying: it ends with a digest of the secret
 * (`cli-<digest>`), and attaching to it (gateway-connect) needs the secret itself. Whoever only
 * saw the clientId would have to invert SHA-256 to attach; whoever holds the secret needs no
 * table anywhere, so the check survives signaling-server restarts, Redis, and the CLI moving to
 * another tab, and the server keeps no per-session state to bound.
 *
 * ZooKeeper's server issues the password; here the client draws it (32 random bytes) when it
 * creates the session, and only its digest ever appears in the cluster.
 */

/** Hex digits of SHA-256 kept in a clientId: 160 bits. */
const DIGEST_LENGTH = 40;
const DOMAIN = 'tabkeeper session secret v1\n';

export function newSessionSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function clientIdDigest(secret: string): string {
  return createHash('sha256').update(DOMAIN + secret, 'utf8').digest('hex').slice(0, DIGEST_LENGTH);
}

/** The clientId of a session with this secret (`prefix` names the kind of client: `cli-`, `zk-`…). */
export function clientIdFor(secret: string, prefix = 'cli-'): string {
  return `${prefix}${clientIdDigest(secret)}`;
}

/**
 * A ZooKeeper session id (zookeeper/) made the same way: its low 63 bits of the digest of the
 * session's password. ZooKeeper clients see their session id, and `stat` shows it as
 * ephemeralOwner, so it must be public yet useless without the password; the ZooKeeper
 * listener checks a reconnecting client's password against it with no table, and the
 * session's gateway clientId (`zk-<16 hex>`) is attached with the password as its secret.
 */
export function zkSessionIdFor(secret: string): bigint {
  const digest = createHash('sha256').update(DOMAIN + secret, 'utf8').digest();
  return digest.readBigInt64BE(0) & 0x7fff_ffff_ffff_ffffn;
}

const ZK_CLIENT_ID = /^zk-([0-9a-f]{16})$/;

/** Whether `secret` is the secret of `clientId`. The digest is public (it is in the clientId), so no constant-time compare is needed. */
export function secretMatches(clientId: string, secret: string | undefined): boolean {
  if (secret === undefined) return false;
  const zk = ZK_CLIENT_ID.exec(clientId);
  if (zk !== null) return BigInt(`0x${zk[1]}`) === zkSessionIdFor(secret);
  return clientId.length > DIGEST_LENGTH && clientId.endsWith(clientIdDigest(secret));
}
