import { createHash } from 'node:crypto';

/**
 * Which room (seat-table entry and Socket.IO rooms) a join or a gateway-connect lands in.
 *
 * A keyed cluster's room is named after its cluster name AND a verifier of the key the socket
 * presented: `<cluster>.<first 128 bits of SHA-256(key)>`. A socket presenting another key (or
 * none) lands in another room, so it never shares a room, a seat, a relay or the gateway with
 * the cluster's real tabs; it gets an empty cluster of its own.
 *
 * Why namespacing rather than "the first socket sets the key" (the old design): the seat table is
 * soft state. It is lost when the server restarts and forgotten when an empty cluster's record
 * expires or is evicted, and whoever rejoined first then set the key, so an outsider who knew
 * only the cluster name could lock every real tab out (`wrong-key`). With the key in the room's
 * name nothing about a key has to be remembered: the real tabs rejoin their own room whatever
 * order sockets arrive in, and an outsider cannot even learn whether the room exists (a join
 * with a wrong key is indistinguishable from creating a new cluster; a gateway-connect with a
 * wrong key answers `no-such-cluster`, as for a name nobody uses).
 *
 * The server never sees a join key itself: tabs and CLIs send a room token derived from it
 * (protocol/cluster-key.ts), so a hostile or compromised server cannot use what it sees to pass
 * the tabs' own DataChannel handshake. Cluster names hold only A-Z a-z 0-9 _ -, so the '.'
 * keeps keyless and keyed rooms of one name apart.
 */
export function roomOf(cluster: string, key: string | undefined): string {
  return key === undefined ? cluster : `${cluster}.${keyVerifier(key).slice(0, 32)}`;
}

/** SHA-256 of the presented key (hex): what the seat table keeps instead of the key. */
export function keyVerifier(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** The cluster name a room belongs to (for logs and replies: a room's verifier is never shown to clients). */
export function clusterOfRoom(room: string): string {
  const dot = room.indexOf('.');
  return dot === -1 ? room : room.slice(0, dot);
}
