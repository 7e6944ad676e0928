import type { ServerId } from '../core/types.ts';
import type { Logger } from './logger.ts';
import { clusterRoom, gatewayRoom, roomLabel } from './room-names.ts';
import { clusterOfRoom } from './rooms.ts';
import type { FreedSeat, Holder, SeatTable } from './seats.ts';
import type { SignalingIo, SocketState, TabSocket } from './socket-state.ts';

/**
 * Seats after their sockets: a disconnect releases the seat (and the cluster hears `peer-left`),
 * a release that failed (Redis unreachable) is retried by the periodic sweep so no seat stays
 * held by a gone socket, the sweep frees seats of dead servers (Redis) and forgets expired
 * clusters, and a server whose Redis liveness mark expired fences itself: its seats may be
 * someone else's now.
 */
export class SeatUpkeep {
  private readonly pendingReleases: { cluster: string; seat: ServerId; holder: Holder }[] = [];
  /** Set while shutting down: the disconnects that follow leave seats to their tabs (seat-ownership.ts). */
  keepSeats = false;

  constructor(
    private readonly serverId: string,
    private readonly io: SignalingIo,
    private readonly seats: SeatTable,
    private readonly logger: Logger,
    private readonly sockets: ReadonlyMap<string, SocketState>,
  ) {}

  async disconnected(socket: TabSocket, state: SocketState, reason: string): Promise<void> {
    this.logger.debug('socket disconnected', { socket: socket.id, reason });
    state.gateway = null;
    if (state.seat === null) return;
    const { cluster, seat } = state.seat;
    state.seat = null;
    if (this.keepSeats) {
      this.logger.info('seat kept for its tab', { cluster, seat, socket: socket.id });
      return;
    }
    const holder = { serverId: this.serverId, socketId: socket.id };
    try {
      if (await this.seats.release(cluster, seat, holder)) this.announceLeft({ cluster, seat }, reason);
    } catch (error) {
      this.logger.warn('seat release failed; will retry', { cluster: clusterOfRoom(cluster), seat, error: (error as Error).message });
      this.pendingReleases.push({ cluster, seat, holder });
    }
  }

  /** Periodic upkeep: retries failed releases, frees seats of dead servers (Redis), forgets expired clusters. */
  async sweep(): Promise<void> {
    try {
      for (const pending of this.pendingReleases.splice(0)) {
        if (await this.seats.release(pending.cluster, pending.seat, pending.holder)) this.announceLeft(pending, 'released late');
      }
      for (const freed of await this.seats.sweep()) this.announceLeft(freed, 'its server died and its tab did not come back');
    } catch (error) {
      this.logger.warn('sweep failed', { error: (error as Error).message });
    }
  }

  /** Redis mode: this server's liveness mark had expired, so its seats may be someone else's now. */
  fenceAfterLivenessLost(): void {
    this.logger.error('liveness lost; disconnecting this server\'s tabs so they rejoin', { serverId: this.serverId });
    for (const [socketId, state] of this.sockets) {
      if (state.seat !== null) this.io.sockets.sockets.get(socketId)?.disconnect(true);
    }
  }

  private announceLeft(freed: FreedSeat, reason: string): void {
    this.io.to(clusterRoom(freed.cluster)).emit('peer-left', { seat: freed.seat });
    this.io.to(gatewayRoom(freed.cluster, freed.seat)).emit('gateway-lost', { seat: freed.seat });
    this.logger.info('seat released', { cluster: clusterOfRoom(freed.cluster), room: roomLabel(freed.cluster), seat: freed.seat, reason });
  }
}
