import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Changes } from '../../lib/changes.ts';

/** The repository root, where `node --import tsx` finds tsx. */
export const REPOSITORY_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * A child process with its output collected line by line, so a test can wait for a line
 * (never a fixed sleep). Started with `node --import tsx` directly, not npx, so that killing it
 * by pid kills the server itself.
 */
export class ChildProcessUnderTest {
  readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly changes = new Changes();
  private hasExited = false;

  private constructor(readonly child: ChildProcess) {
    const collect = (stream: NodeJS.ReadableStream | null) => {
      let partial = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        const parts = (partial + chunk).split('\n');
        partial = parts.pop() ?? '';
        this.lines.push(...parts);
        this.changes.changed();
      });
    };
    collect(child.stdout);
    collect(child.stderr);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.hasExited = true;
        resolve({ code, signal });
        this.changes.changed();
      }),
    );
  }

  static start(script: string, args: readonly string[], env: Record<string, string> = {}): ChildProcessUnderTest {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      cwd: REPOSITORY_ROOT,
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    return new ChildProcessUnderTest(child);
  }

  /** Resolves with the first output line matching `pattern`; rejects on timeout or exit. */
  waitForLine(pattern: RegExp, timeoutMs = 20_000): Promise<string> {
    return this.changes.until(() => this.lines.find((candidate) => pattern.test(candidate)), {
      timeoutMs,
      ended: () => this.hasExited,
      failure: (why) =>
        new Error(`${why === 'ended' ? 'process exited before a line matching' : 'no line matching'} ${pattern}${why === 'timeout' ? ` within ${timeoutMs} ms` : ''}; output:\n${this.lines.join('\n')}`),
    });
  }

  /** Kills the process if it is still running and waits for it to exit. */
  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    await this.exited;
  }
}

/** A TCP port free on loopback right now (for programs that cannot take port 0, like redis-server). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
