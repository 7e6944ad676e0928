import { io, type Socket } from 'socket.io-client';
import { roomToken } from '../../protocol/cluster-key.ts';
import type { ClientToServerEvents, JoinReply, ServerToClientEvents } from '../../protocol/signaling-events.ts';
import type { GatewayResult } from '../../protocol/gateway-ops.ts';
import { MemoryZooKeeper } from './memory-zookeeper.ts';

/**
 * TEST DOUBLE for a browser tab, in Node. It joins a cluster through a real socket.io-client
 * socket exactly as a tab does, and answers the gateway's requests from a `MemoryZooKeeper`
 * instead of a replicated TabKeeperClient session. It runs no ZAB and opens no WebRTC link: it
 * exists so that the signaling gateway and the CLI can be tested end to end without browsers.
 * Several stand-ins may share one store to look like one cluster.
 */
export interface TabStandInOptions {
  readonly url: string;
  readonly cluster: string;
  readonly size?: number;
  readonly key?: string;
  readonly seat?: number;
  /** Shared by stand-ins that should look like one replicated cluster; a fresh one otherwise. */
  readonly store?: MemoryZooKeeper;
  /**
   * Called before each request is answered; returning false holds the answer back (never sent),
   * so a test can make a tab go away with a request in flight.
   */
  readonly beforeAnswer?: (request: { clientId: string; requestId: number; op: unknown }) => boolean;
}

export class TabStandIn {
  /** Requests received, in order (the op as sent). */
  readonly requests: { clientId: string; requestId: number; op: unknown }[] = [];

  private constructor(
    readonly seat: number,
    readonly size: number,
    readonly store: MemoryZooKeeper,
    private readonly socket: Socket<ServerToClientEvents, ClientToServerEvents>,
  ) {}

  static async join(options: TabStandInOptions): Promise<TabStandIn> {
    const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(options.url, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (error) => reject(error));
    });
    const { cluster, size, seat } = options;
    // As a tab does: the server sees the room token, never the join key.
    const key = options.key === undefined ? undefined : await roomToken(cluster, options.key);
    const reply: JoinReply = await socket.timeout(5_000).emitWithAck('join', {
      cluster,
      ...(size === undefined ? {} : { size }),
      ...(key === undefined ? {} : { key }),
      ...(seat === undefined ? {} : { seat }),
    });
    if (!reply.ok) {
      socket.disconnect();
      throw new Error(`stand-in could not join ${cluster}: ${reply.error}`);
    }
    const standIn = new TabStandIn(reply.seat, reply.size, options.store ?? new MemoryZooKeeper(), socket);
    socket.on('gateway-request', (request) => {
      standIn.requests.push(request);
      if (options.beforeAnswer !== undefined && !options.beforeAnswer(request)) return;
      const result: GatewayResult = standIn.store.apply(request.clientId, request.op);
      socket.emit('gateway-reply', { clientId: request.clientId, requestId: request.requestId, result });
    });
    return standIn;
  }

  /** Leaves the cluster, as a closed tab does. */
  close(): void {
    this.socket.disconnect();
  }
}
