import { JoinRequestSchema, parsePayload } from '../protocol/signaling-events.ts';
import type { HandlerContext } from './handler-context.ts';
import { clusterRoom, roomLabel, seatRoom, shownAs } from './room-names.ts';
import { keyVerifier, roomOf } from './rooms.ts';
import { hashSeatToken, newSeatToken } from './seat-ownership.ts';
import type { Holder } from './seats.ts';
import type { Ack, SocketState, TabSocket } from './socket-state.ts';

/**
 * `join`: a tab claims a seat of its cluster (a new one, or, with its seat token, the one it held)
 * and joins the cluster's room and its seat's room; the cluster's other tabs hear `peer-joined`.
 */
export async function handleJoin(ctx: HandlerContext, socket: TabSocket, state: SocketState, payload: unknown, ack: Ack | null): Promise<void> {
  const { refuser } = ctx;
  if (ack === null) return refuser.refuse(socket, 'join', 'invalid', 'join needs an acknowledgement callback', {});
  const parsed = parsePayload(JoinRequestSchema, payload);
  if (!parsed.ok) return refuser.refuse(socket, 'join', 'invalid', parsed.reason, { ack });
  if (state.seat !== null || state.gateway !== null) {
    return refuser.refuse(socket, 'join', 'already-joined', 'this socket already holds a seat or a gateway; open another socket', { ack });
  }
  const request = parsed.value;
  const room = roomOf(request.cluster, request.key);
  const holder: Holder = { serverId: ctx.serverId, socketId: socket.id };
  const keyHash = request.key === undefined ? null : keyVerifier(request.key);
  const token = request.token ?? newSeatToken();
  const result = await ctx.seats.claim({
    cluster: room,
    size: request.size,
    keyHash,
    seat: request.seat,
    holder,
    tokenHash: hashSeatToken(token),
    tokenPresented: request.token !== undefined,
  });
  if (!result.ok) return refuser.refuseWith(socket, 'join', shownAs(result, room, request.cluster), ack, { cluster: request.cluster, seat: request.seat });
  if (result.created) {
    // Creating a cluster is what a wrong key looks like (its room is new), so it is a miss:
    // limited per connection and client address. Joining a room that exists never is, so
    // an outsider's misses can never keep the real tabs out of their own cluster.
    const waitMs = ctx.misses.waitMs(state, null);
    if (waitMs > 0) {
      await ctx.seats.release(room, result.seat, holder);
      return refuser.refuse(socket, 'join', 'rate-limited', `too many new clusters from this client; retry in ${waitMs} ms`, { ack, retryAfterMs: waitMs });
    }
    ctx.misses.charge(state, null, room);
  }
  state.seat = { cluster: room, seat: result.seat };
  // A socket that left while the claim was in flight: its queued disconnect releases the seat.
  if (!socket.connected) return;
  socket.join([clusterRoom(room), seatRoom(room, result.seat)]);
  ack({ ok: true, seat: result.seat, size: result.size, peers: result.peers, token, servers: ctx.serverUrls() });
  socket.to(clusterRoom(room)).emit('peer-joined', { seat: result.seat });
  ctx.logger.info('seat claimed', {
    cluster: request.cluster,
    room: roomLabel(room),
    seat: result.seat,
    role: result.seat <= result.size ? 'voter' : 'observer',
    size: result.size,
    created: result.created,
    reclaim: request.token !== undefined,
    socket: socket.id,
  });
}
