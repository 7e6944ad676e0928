import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createClient } from 'redis';
import { freePort } from './process.ts';

/**
 * A throwaway Redis for one test file: `redis-server` on a free loopback port, with no
 * persistence, stopped by `stop()`. If redis-server is not installed the test fails with a
 * message saying how to install it (it never skips silently); `.ci/run` installs it.
 */
export class RedisUnderTest {
  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
    private readonly exited: Promise<void>,
  ) {}

  /** Starts one; tries a few ports, since another test may take a free port before redis-server binds it. */
  static async start(timeoutMs = 20_000): Promise<RedisUnderTest> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        return await RedisUnderTest.startOnce(timeoutMs);
      } catch (error) {
        if ((error as Error).message.startsWith('redis-server is not installed')) throw error;
        lastError = error;
      }
    }
    throw lastError;
  }

  private static async startOnce(timeoutMs: number): Promise<RedisUnderTest> {
    const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
    if (probe.error !== undefined || probe.status !== 0) {
      throw new Error(
        'redis-server is not installed, and the scale-out tests need a real one: ' +
          'run `apt-get update && apt-get install -y redis-server` (.ci/run does this before npm test).',
      );
    }
    const port = await freePort();
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const url = `redis://127.0.0.1:${port}`;
    try {
      await waitForPing(url, exited, timeoutMs);
    } catch (error) {
      child.kill('SIGKILL');
      throw new Error(`${(error as Error).message}; redis-server said:\n${output}`);
    }
    return new RedisUnderTest(url, child, exited);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    await this.exited;
  }
}

/** Polls PING until Redis answers (the condition itself, with a deadline: no fixed sleep). */
async function waitForPing(url: string, exited: Promise<void>, timeoutMs: number): Promise<void> {
  let dead = false;
  void exited.then(() => (dead = true));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !dead) {
    const client = createClient({ url, socket: { reconnectStrategy: false, connectTimeout: 1_000 } });
    client.on('error', () => {});
    try {
      await client.connect();
      if ((await client.ping()) === 'PONG') return;
    } catch {
      // not up yet
    } finally {
      if (client.isOpen) await client.close();
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(dead ? 'redis-server exited at start' : `redis-server did not answer PING within ${timeoutMs} ms`);
}
