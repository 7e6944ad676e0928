import { GatewayConnectRequestSchema, GatewayReplySchema, GatewayRequestSchema, parsePayload } from '../protocol/signaling-events.ts';
import { secretMatches } from '../protocol/session-secret.ts';
import type { HandlerContext } from './handler-context.ts';
import { gatewayRoom, replyRoom, roomLabel, seatRoom } from './room-names.ts';
import { clusterOfRoom, roomOf } from './rooms.ts';
import { refusals } from './seats.ts';
import type { Ack, SocketState, TabSocket } from './socket-state.ts';

/**
 * The client gateway: a command-line client (or the ZooKeeper listener) attaches to a seat
 * (`gateway-connect`), its requests are relayed to the tab holding it (`gateway-request`), and
 * that tab's answers back to it alone (`gateway-reply`). Ops and results are opaque JSON here.
 */

export async function handleGatewayConnect(ctx: HandlerContext, socket: TabSocket, state: SocketState, payload: unknown, ack: Ack | null): Promise<void> {
  const { refuser, misses } = ctx;
  if (ack === null) return refuser.refuse(socket, 'gateway-connect', 'invalid', 'gateway-connect needs an acknowledgement callback', {});
  const parsed = parsePayload(GatewayConnectRequestSchema, payload);
  if (!parsed.ok) return refuser.refuse(socket, 'gateway-connect', 'invalid', parsed.reason, { ack });
  if (state.seat !== null) return refuser.refuse(socket, 'gateway-connect', 'already-joined', 'a tab socket cannot also be a gateway client', { ack });
  const { cluster, key, seat: forced, clientId, secret } = parsed.value;
  const waitMs = misses.waitMs(state, cluster);
  if (waitMs > 0) {
    return refuser.refuse(socket, 'gateway-connect', 'rate-limited', `too many failed attempts; retry in ${waitMs} ms`, { ack, retryAfterMs: waitMs, fields: { cluster } });
  }
  if (!secretMatches(clientId, secret)) {
    misses.charge(state, cluster, `secret:${clientId}`);
    const why = secret === undefined ? 'gateway-connect needs the session secret (secret)' : 'clientId is not the one of this session secret';
    return refuser.refuse(socket, 'gateway-connect', 'wrong-secret', why, { ack, fields: { cluster } });
  }
  // A wrong key names another room, which no tab has joined: the same answer as a cluster
  // nobody created, so a refusal tells an outsider nothing about which clusters exist.
  const room = roomOf(cluster, key);
  const view = await ctx.seats.cluster(room);
  if (view === null) {
    misses.charge(state, cluster, room);
    return refuser.refuse(socket, 'gateway-connect', 'no-such-cluster', `no tab has joined cluster ${cluster} with this key`, { ack, fields: { cluster } });
  }
  if (forced !== undefined && forced > view.maxSeat) {
    return refuser.refuseWith(socket, 'gateway-connect', refusals.seatOutOfRange(cluster, forced, view.size, view.maxSeat), ack, { cluster });
  }
  const seat = forced ?? view.seats[Math.floor(Math.random() * view.seats.length)];
  if (seat === undefined || !view.seats.includes(seat)) {
    const what = forced === undefined ? `no tab holds a seat of cluster ${cluster}` : `no tab holds seat ${forced} of cluster ${cluster}`;
    return refuser.refuse(socket, 'gateway-connect', 'no-live-seat', what, { ack });
  }
  detachGateway(socket, state);
  state.gateway = { cluster: room, seat, clientId };
  socket.join([gatewayRoom(room, seat), replyRoom(room, seat, clientId)]);
  ack({ ok: true, seat, size: view.size });
  ctx.logger.info('gateway attached', { cluster, room: roomLabel(room), seat, clientId, socket: socket.id });
  // The tab may have left between the lookup and joining its gateway room: then say so now.
  if ((await ctx.seats.holder(room, seat)) === null) socket.emit('gateway-lost', { seat });
}

export async function handleGatewayRequest(ctx: HandlerContext, socket: TabSocket, state: SocketState, payload: unknown): Promise<void> {
  const { refuser } = ctx;
  const parsed = parsePayload(GatewayRequestSchema, payload);
  if (!parsed.ok) return refuser.refuse(socket, 'gateway-request', 'invalid', parsed.reason, { payload });
  const { requestId, op } = parsed.value;
  if (state.gateway === null) return refuser.refuse(socket, 'gateway-request', 'not-attached', 'send gateway-connect first', { payload });
  if (!refuser.takeCharacters(socket, state, 'gateway-request', op, { payload })) return;
  const { cluster, seat, clientId } = state.gateway;
  if ((await ctx.seats.holder(cluster, seat)) === null) {
    refuser.refuse(socket, 'gateway-request', 'no-such-seat', `no tab holds seat ${seat} of cluster ${clusterOfRoom(cluster)}`, { payload, quiet: true });
    socket.emit('gateway-lost', { seat });
    return;
  }
  ctx.io.to(seatRoom(cluster, seat)).emit('gateway-request', { clientId, requestId, op });
  ctx.logger.debug('gateway request relayed', { cluster: clusterOfRoom(cluster), seat, clientId, requestId });
}

export async function handleGatewayReply(ctx: HandlerContext, socket: TabSocket, state: SocketState, payload: unknown): Promise<void> {
  const { refuser } = ctx;
  const parsed = parsePayload(GatewayReplySchema, payload);
  if (!parsed.ok) return refuser.refuse(socket, 'gateway-reply', 'invalid', parsed.reason, {});
  if (state.seat === null) return refuser.refuse(socket, 'gateway-reply', 'not-joined', 'only a tab holding a seat may reply', {});
  const { clientId, requestId, result } = parsed.value;
  if (!refuser.takeCharacters(socket, state, 'gateway-reply', result, {})) return;
  // Only to clients attached to this tab's own seat: a tab cannot answer for another.
  ctx.io.to(replyRoom(state.seat.cluster, state.seat.seat, clientId)).emit('gateway-reply', { requestId, result });
}

function detachGateway(socket: TabSocket, state: SocketState): void {
  if (state.gateway === null) return;
  const { cluster, seat, clientId } = state.gateway;
  socket.leave(gatewayRoom(cluster, seat));
  socket.leave(replyRoom(cluster, seat, clientId));
  state.gateway = null;
}
