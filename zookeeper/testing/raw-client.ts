import { connect, type Socket } from 'node:net';
import { FrameSplitter } from '../frames.ts';
import { JuteReader, JuteWriter, type JuteRecord } from '../jute.ts';
import { codec } from '../records.ts';

/**
 * TEST HELPER: a bare ZooKeeper wire client over the listener's own jute codec, for what real
 * clients do not let a test choose: a session id and password, a lastZxidSeen, hostile bytes.
 */
export class RawClient {
  private readonly frames: Buffer[] = [];
  private readonly splitter = new FrameSplitter(16 * 1024 * 1024);
  private waiter: (() => void) | null = null;
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.frames.push(...this.splitter.push(chunk));
      this.waiter?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
    socket.on('error', () => undefined);
  }

  static open(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Sends a ConnectRequest (with the readOnly flag, as current clients do) and reads the ConnectResponse, or null if the server closed. */
  async handshake(options: { sessionId?: bigint; password?: Uint8Array; lastZxidSeen?: bigint; timeoutMs?: number } = {}): Promise<JuteRecord | null> {
    const writer = new JuteWriter();
    codec.write(writer, 'ConnectRequest', {
      protocolVersion: 0,
      lastZxidSeen: options.lastZxidSeen ?? 0n,
      timeOut: options.timeoutMs ?? 10_000,
      sessionId: options.sessionId ?? 0n,
      passwd: options.password ?? new Uint8Array(16),
    });
    writer.boolean(false);
    this.socket.write(writer.finish(true));
    const frame = await this.nextFrame();
    return frame === null ? null : codec.read(new JuteReader(frame), 'ConnectResponse');
  }

  /** Sends one request and reads frames up to its reply (watch events before it are kept in `events`). */
  async request(xid: number, opcode: number, record: string | null, value: JuteRecord = {}): Promise<{ header: JuteRecord; body: JuteReader } | null> {
    return this.requestWith(xid, opcode, (writer) => {
      if (record !== null) codec.write(writer, record, value);
    });
  }

  /** As `request`, with the body written by `write` (several records: a multi). */
  async requestWith(xid: number, opcode: number, write: (writer: JuteWriter) => void): Promise<{ header: JuteRecord; body: JuteReader } | null> {
    const writer = new JuteWriter();
    codec.write(writer, 'RequestHeader', { xid, type: opcode });
    write(writer);
    this.socket.write(writer.finish(true));
    for (;;) {
      const frame = await this.nextFrame();
      if (frame === null) return null;
      const body = new JuteReader(frame);
      const header = codec.read(body, 'ReplyHeader');
      if (header.xid === -1) {
        this.events.push(codec.read(body, 'WatcherEvent'));
        continue;
      }
      return { header, body };
    }
  }

  readonly events: JuteRecord[] = [];

  write(bytes: Uint8Array): void {
    if (!this.closed) this.socket.write(bytes);
  }

  /** The next frame, or null once the server has closed the connection (or after `timeoutMs`). */
  async nextFrame(timeoutMs = 15_000): Promise<Buffer | null> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length === 0 && !this.closed && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = null;
    }
    return this.frames.shift() ?? null;
  }

  /** Resolves true once the server has closed the connection, false if it is still open after `timeoutMs`. */
  async closedWithin(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) {
      this.frames.splice(0);
      await this.nextFrame(Math.max(1, deadline - Date.now()));
    }
    return this.closed;
  }

  close(): void {
    this.socket.destroy();
  }
}
