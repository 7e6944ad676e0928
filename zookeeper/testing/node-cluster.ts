import { io, type Socket } from 'socket.io-client';
import { roomToken } from '../../protocol/cluster-key.ts';
import { GatewaySessions } from '../../client-app/app/gateway-sessions.ts';
import { ZooKeeperSessions } from '../../client-app/app/zookeeper-sessions.ts';
import { isZkTabOp } from '../../protocol/zk-tab-ops.ts';
import type { Clock } from '../../core/clock.ts';
import { serverConfig } from '../../core/config.ts';
import { encodeMessage } from '../../core/messages.ts';
import { MemoryStorage } from '../../core/memory-storage.ts';
import { ZabNode } from '../../core/node.ts';
import type { Transport } from '../../core/transport.ts';
import type { ServerId } from '../../core/types.ts';
import { DataTree } from '../../core/tree/index.ts';
import type { ClientToServerEvents, JoinReply, ServerToClientEvents } from '../../protocol/signaling-events.ts';

/**
 * TEST HARNESS: tabs without a browser. Three real ZabNodes over in-memory links, each joined
 * to the signaling server as a tab (a real Socket.IO socket) that answers gateway requests as a
 * tab does: the ZooKeeper listener's with the tab's own ZooKeeperSessions, the CLI's with its
 * GatewaySessions. Only WebRTC and IndexedDB are replaced; the e2e tests (e2e/zookeeper.spec.ts,
 * e2e/cli.spec.ts) run the same clients against browser tabs.
 */

const realClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  setTimer: (delayMs, callback) => setTimeout(callback, delayMs) as unknown as number,
  clearTimer: (id) => clearTimeout(id),
};

class LoopbackNetwork {
  private readonly receivers = new Map<ServerId, (from: ServerId, data: unknown) => void>();
  readonly down = new Set<ServerId>();
  /** Extra delay of messages to a server: a slow link, so it serves but lags behind. */
  readonly delayTo = new Map<ServerId, number>();

  transportOf(sid: ServerId): Transport {
    return {
      send: (to, message) => {
        if (this.down.has(sid) || this.down.has(to)) return;
        const text = encodeMessage(message);
        setTimeout(() => this.receivers.get(to)?.(sid, text), this.delayTo.get(to) ?? 0);
      },
      onMessage: (callback) => this.receivers.set(sid, callback),
      onLinkUp: () => {},
      onLinkDown: () => {},
    };
  }
}

export interface NodeTab {
  readonly seat: ServerId;
  readonly node: ZabNode;
  readonly sessions: ZooKeeperSessions;
  readonly gateway: GatewaySessions;
  readonly socket: Socket<ServerToClientEvents, ClientToServerEvents>;
}

export class NodeCluster {
  private constructor(
    readonly tabs: NodeTab[],
    private readonly network: LoopbackNetwork,
    private readonly sweep: NodeJS.Timeout,
  ) {}

  static async start(url: string, cluster: string, key?: string): Promise<NodeCluster> {
    const network = new LoopbackNetwork();
    const tabs: NodeTab[] = [];
    for (const seat of [1, 2, 3]) {
      const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(url, { transports: ['websocket'], reconnection: false, forceNew: true });
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('connect_error', reject);
      });
      // As a tab does: the signaling server gets the room token derived from the key.
      const token = key === undefined ? undefined : await roomToken(cluster, key);
      const reply: JoinReply = await socket.timeout(5_000).emitWithAck('join', { cluster, size: 3, ...(token === undefined ? {} : { key: token }) });
      if (!reply.ok || reply.seat !== seat) throw new Error(`node tab could not take seat ${seat}: ${JSON.stringify(reply)}`);
      const node = new ZabNode({
        config: serverConfig(seat, 3),
        createMachine: () => new DataTree(),
        transport: network.transportOf(seat),
        storage: new MemoryStorage(),
        clock: realClock,
        tickMs: 10,
        requestTimeoutMs: 5_000,
      });
      const sessions = new ZooKeeperSessions({ clock: realClock, server: node, maxSessions: 64, attachWaitMs: 5_000 });
      const gateway = new GatewaySessions({ clock: realClock, server: node, sessionTimeoutMs: 10_000, idleMs: 60_000, maxSessions: 64 });
      socket.on('gateway-request', (request) => {
        const answer = isZkTabOp(request.op) ? sessions.run(request.clientId, request.op) : gateway.run(request.clientId, request.op);
        void answer.then((result) => {
          if (socket.connected) socket.emit('gateway-reply', { clientId: request.clientId, requestId: request.requestId, result: result as never });
        });
      });
      tabs.push({ seat, node, sessions, gateway, socket });
    }
    for (const tab of tabs) tab.node.start();
    const started = new NodeCluster(tabs, network, setInterval(() => tabs.forEach((tab) => tab.sessions.sweep()), 200));
    await started.waitServing();
    return started;
  }

  async waitServing(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.tabs.every((tab) => tab.node.stopped || tab.node.serving)) {
      if (Date.now() > deadline) throw new Error('the node cluster never served');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Messages to `seat` arrive `delayMs` late (FIFO still): it keeps serving, behind the others. */
  slowLinksTo(seat: ServerId, delayMs: number): void {
    this.network.delayTo.set(seat, delayMs);
  }

  /** The tab closes: its node stops, its links drop, its socket leaves (peers hear peer-left, gateway clients gateway-lost). */
  closeTab(seat: ServerId): void {
    const tab = this.tabs.find((candidate) => candidate.seat === seat)!;
    tab.sessions.abandonAll();
    tab.gateway.abandonAll();
    tab.node.stop();
    this.network.down.add(seat);
    tab.socket.disconnect();
  }

  stop(): void {
    clearInterval(this.sweep);
    for (const tab of this.tabs) {
      tab.sessions.abandonAll();
      tab.gateway.abandonAll();
      tab.node.stop();
      tab.socket.disconnect();
    }
  }
}
