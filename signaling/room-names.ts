import type { ServerId } from '../core/types.ts';
import type { Refusal } from '../protocol/signaling-events.ts';

/**
 * Socket.IO room names, which the Redis adapter extends across servers:
 *   c:<room>                     every tab of a cluster         (peer-joined, peer-left)
 *   s:<room>:<seat>              the tab holding a seat         (signal, gateway-request)
 *   g:<room>:<seat>              CLIs attached to a seat        (gateway-lost)
 *   r:<room>:<seat>:<clientId>   one CLI client at a seat       (gateway-reply)
 * A cluster's room is its name plus a verifier of its key (rooms.ts). Room names and client ids
 * hold no ':', so these names cannot collide.
 */
export const clusterRoom = (cluster: string) => `c:${cluster}`;
export const seatRoom = (cluster: string, seat: ServerId) => `s:${cluster}:${seat}`;
export const gatewayRoom = (cluster: string, seat: ServerId) => `g:${cluster}:${seat}`;
export const replyRoom = (cluster: string, seat: ServerId, clientId: string) => `r:${cluster}:${seat}:${clientId}`;

/** A short label of a keyed room for logs (8 hex digits of the key's verifier), or 'open' for a keyless one. */
export function roomLabel(room: string): string {
  const dot = room.indexOf('.');
  return dot === -1 ? 'open' : room.slice(dot + 1, dot + 9);
}

/** A seat table's refusal as the client sees it: about its cluster's name, never its room. */
export function shownAs(refusal: Refusal, room: string, cluster: string): Refusal {
  return room === cluster ? refusal : { ...refusal, error: refusal.error.replaceAll(room, cluster) };
}
