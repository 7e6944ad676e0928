import { io, type Socket } from 'socket.io-client';
import { Changes } from '../../lib/changes.ts';
import type { ErrorEvent, GatewayConnectReply, JoinReply } from '../../protocol/signaling-events.ts';

/**
 * A real socket.io-client socket for tests, recording every event it receives so a test can
 * wait for one (never sleeping a fixed time). The socket is untyped on purpose: tests send
 * malformed payloads that the protocol's types would forbid.
 */
export class TestClient {
  readonly received: { event: string; payload: unknown }[] = [];
  private readonly changes = new Changes();
  private taken = new Set<number>();

  private constructor(readonly socket: Socket) {
    socket.onAny((event: string, payload: unknown) => {
      this.received.push({ event, payload });
      this.changes.changed();
    });
    socket.on('disconnect', () => this.changes.changed());
  }

  static async connect(url: string, timeoutMs = 5_000): Promise<TestClient> {
    const socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true, timeout: timeoutMs });
    const client = new TestClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (error) => reject(error));
    });
    return client;
  }

  join(payload: unknown, timeoutMs = 5_000): Promise<JoinReply> {
    return this.socket.timeout(timeoutMs).emitWithAck('join', payload) as Promise<JoinReply>;
  }

  gatewayConnect(payload: unknown, timeoutMs = 5_000): Promise<GatewayConnectReply> {
    return this.socket.timeout(timeoutMs).emitWithAck('gateway-connect', payload) as Promise<GatewayConnectReply>;
  }

  emit(event: string, ...args: unknown[]): void {
    this.socket.emit(event, ...args);
  }

  /** Waits for the first event of that name (matching `where`) not already taken by an earlier call. */
  next<T = unknown>(event: string, where: (payload: T) => boolean = () => true, timeoutMs = 5_000): Promise<T> {
    return this.changes.until(
      () => {
        const index = this.received.findIndex((item, i) => !this.taken.has(i) && item.event === event && where(item.payload as T));
        if (index === -1) return undefined;
        this.taken.add(index);
        return { payload: this.received[index]!.payload as T };
      },
      {
        timeoutMs,
        failure: () => {
          const seen = this.received.map((item) => item.event).join(', ');
          return new Error(`no '${event}' event within ${timeoutMs} ms (received: ${seen || 'nothing'})`);
        },
      },
    ).then(({ payload }) => payload);
  }

  nextError(event: string, timeoutMs = 5_000): Promise<ErrorEvent> {
    return this.next<ErrorEvent>('error-event', (payload) => payload.event === event, timeoutMs);
  }

  /** Payloads of every event of that name received so far. */
  all<T = unknown>(event: string): T[] {
    return this.received.filter((item) => item.event === event).map((item) => item.payload as T);
  }

  /** Resolves once the socket has disconnected (the server closed it, or the test did). */
  disconnected(timeoutMs = 5_000): Promise<void> {
    return this.changes.until(() => (this.socket.disconnected ? true : undefined), {
      timeoutMs,
      failure: () => new Error(`still connected after ${timeoutMs} ms`),
    }).then(() => undefined);
  }

  close(): void {
    this.socket.disconnect();
  }
}

/** Closes every client, ignoring ones already closed. */
export function closeAll(clients: readonly TestClient[]): void {
  for (const client of clients) client.close();
}
