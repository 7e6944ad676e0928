import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

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
  private readonly waiters = new Set<() => void>();

  private constructor(readonly child: ChildProcess) {
    const collect = (stream: NodeJS.ReadableStream | null) => {
      let partial = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        const parts = (partial + chunk).split('\n');
        partial = parts.pop() ?? '';
        this.lines.push(...parts);
        for (const wake of [...this.waiters]) wake();
      });
    };
    collect(child.stdout);
    collect(child.stderr);
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
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
    return new Promise((resolve, reject) => {
      const check = () => {
        const line = this.lines.find((candidate) => pattern.test(candidate));
        if (line === undefined) return false;
        finish();
        resolve(line);
        return true;
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; output:\n${this.lines.join('\n')}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(wake);
      };
      const wake = () => void check();
      if (check()) return;
      this.waiters.add(wake);
      void this.exited.then(() => {
        if (!check()) {
          finish();
          reject(new Error(`process exited before a line matching ${pattern}; output:\n${this.lines.join('\n')}`));
        }
      });
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
