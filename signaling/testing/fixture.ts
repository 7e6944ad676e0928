import { createLogger } from '../logger.ts';
import { SignalingServer, type SignalingServerOptions } from '../server.ts';
import { TestClient } from './test-client.ts';

/**
 * One test's world: a real signaling server on an ephemeral loopback port, the clients the test
 * opened, and the server's log lines (JSON, parsed) so a test can check what was logged.
 * `teardown` closes every client and the server.
 */
export class ServerFixture {
  readonly logs: Record<string, unknown>[] = [];
  readonly clients: TestClient[] = [];
  private current: SignalingServer | null = null;

  async start(options: SignalingServerOptions = {}): Promise<SignalingServer> {
    const logger = createLogger({ level: 'debug', format: 'json', write: (line) => this.logs.push(JSON.parse(line) as Record<string, unknown>) });
    // No grace after start unless a test asks for one: most tests open tabs at once on a fresh server.
    this.current = await SignalingServer.start({ host: '127.0.0.1', port: 0, logger, seatGraceMs: 0, ...options });
    return this.current;
  }

  get server(): SignalingServer {
    if (this.current === null) throw new Error('fixture server not started');
    return this.current;
  }

  async client(url = this.server.url): Promise<TestClient> {
    const client = await TestClient.connect(url);
    this.clients.push(client);
    return client;
  }

  /** A client that has joined `cluster` (asserting the join worked). */
  async tab(join: Record<string, unknown>, url = this.server.url): Promise<TestClient & { seat: number }> {
    const client = await this.client(url);
    const reply = await client.join(join);
    if (!reply.ok) throw new Error(`join ${JSON.stringify(join)} refused: ${reply.error}`);
    return Object.assign(client, { seat: reply.seat });
  }

  logged(message: string): Record<string, unknown>[] {
    return this.logs.filter((line) => line.msg === message);
  }

  async teardown(): Promise<void> {
    for (const client of this.clients.splice(0)) client.close();
    await this.current?.close();
    this.current = null;
    this.logs.length = 0;
  }
}

/** A clock a test moves by hand (rate limits, cluster expiry). */
export class ManualClock {
  constructor(public ms = 1_000_000) {}
  readonly now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}
