import { SignalRequestSchema, parsePayload } from '../protocol/signaling-events.ts';
import type { HandlerContext } from './handler-context.ts';
import { seatRoom } from './room-names.ts';
import { clusterOfRoom } from './rooms.ts';
import type { SocketState, TabSocket } from './socket-state.ts';

/** `signal`: relays a tab's WebRTC signal, opaque, to the tab holding another seat of its cluster. */
export async function handleSignal(ctx: HandlerContext, socket: TabSocket, state: SocketState, payload: unknown): Promise<void> {
  const { refuser } = ctx;
  const parsed = parsePayload(SignalRequestSchema, payload);
  if (!parsed.ok) return refuser.refuse(socket, 'signal', 'invalid', parsed.reason, {});
  if (state.seat === null) return refuser.refuse(socket, 'signal', 'not-joined', 'join a cluster before relaying signals', {});
  const { cluster, seat } = state.seat;
  const { to, data } = parsed.value;
  if (!refuser.takeCharacters(socket, state, 'signal', data, {})) return;
  if (to === seat) return refuser.refuse(socket, 'signal', 'invalid', 'to: a tab cannot signal its own seat', {});
  const target = await ctx.seats.holder(cluster, to);
  if (target === null) return refuser.refuse(socket, 'signal', 'no-such-seat', `no tab holds seat ${to} of cluster ${clusterOfRoom(cluster)}`, {});
  ctx.io.to(seatRoom(cluster, to)).emit('signal', { from: seat, data });
  ctx.logger.debug('signal relayed', { cluster: clusterOfRoom(cluster), from: seat, to });
}
