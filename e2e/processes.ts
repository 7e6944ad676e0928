import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Changes } from '../lib/changes.ts';

/** The repository root, where `node --import tsx` finds tsx. */
export const REPOSITORY_ROOT = fileURLToPath(new URL('../', import.meta.url));

/**
 * A `node --import tsx` child with stdout and stderr collected line by line, apart, so a test
 * can wait for a line instead of sleeping. Started without npx: killing npx by pid would leave
 * its node child running (docs/BROWSER.md).
 */
export class NodeProcess {
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly changes = new Changes();

  private constructor(readonly child: ChildProcess) {
    this.collect(child.stdout, this.stdout);
    this.collect(child.stderr, this.stderr);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        resolve({ code, signal });
        this.changes.changed();
      }),
    );
  }

  static start(script: string, args: readonly string[], options: { stdin?: string } = {}): NodeProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      cwd: REPOSITORY_ROOT,
      env: { ...process.env, FORCE_COLOR: '0' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const started = new NodeProcess(child);
    if (options.stdin !== undefined) child.stdin?.end(options.stdin);
    return started;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Every line so far, stdout then stderr, for failure messages. */
  output(): string {
    return [...this.stdout.map((line) => `out| ${line}`), ...this.stderr.map((line) => `err| ${line}`)].join('\n');
  }

  /** Resolves once `ready()` holds for the collected lines; rejects on timeout or on exit before it. */
  waitFor<T>(what: string, ready: () => T | undefined, timeoutMs: number): Promise<T> {
    return this.changes.until(ready, {
      timeoutMs,
      ended: () => !this.running,
      failure: (why) => new Error(`${what}: ${why === 'ended' ? 'the process exited first' : `not seen within ${timeoutMs} ms`}; output so far:\n${this.output()}`),
    });
  }

  /** Sends `signal` (SIGKILL: a crash; SIGTERM: a graceful stop, SIGKILL after 10 s) and waits for the exit. */
  async kill(signal: 'SIGKILL' | 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (signal === 'SIGTERM') await this.stop(10_000);
    else if (this.running) this.child.kill('SIGKILL');
    return this.exited;
  }

  /** Stops the process (SIGTERM, then SIGKILL after `graceMs`) and waits for it to exit. */
  async stop(graceMs = 5_000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  private collect(stream: NodeJS.ReadableStream | null, into: string[]): void {
    let partial = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      into.push(...parts);
      this.changes.changed();
    });
    stream?.on('end', () => {
      if (partial !== '') into.push(partial);
      partial = '';
      this.changes.changed();
    });
  }
}

/** The signaling server serving the built app, on a free loopback port. */
export interface SignalingServer {
  readonly url: string;
  readonly process: NodeProcess;
  /** The port of its ZooKeeper listener (zookeeper/), read from its log once it listens. */
  zookeeperPort(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Starts a signaling server serving the built app on loopback: on a free port unless `port` is
 * given (a restart on the port its tabs know), with `args` added (`--redis …`).
 */
export async function startSignalingServer(staticDirectory: string, options: { port?: number; args?: readonly string[] } = {}): Promise<SignalingServer> {
  const server = NodeProcess.start('signaling/main.ts', [
    '--host',
    '127.0.0.1',
    '--port',
    String(options.port ?? 0),
    '--static',
    staticDirectory,
    '--log-format',
    'json',
    '--log-level',
    'info',
    '--zk-port',
    '0',
    ...(options.args ?? []),
  ]);
  const url = await server.waitFor('the signaling server\'s "listening" line', () => loggedField<string>(server.stderr, 'listening', 'url'), 30_000);
  const zookeeperPort = () =>
    server.waitFor('the ZooKeeper listener\'s "zookeeper listening" line', () => loggedField<number>(server.stderr, 'zookeeper listening', 'port'), 30_000);
  return { url, process: server, zookeeperPort, stop: () => server.stop() };
}

/** A field of the first JSON log line (the signaling server logs one object per line to stderr) with message `msg`. */
function loggedField<T>(lines: readonly string[], msg: string, field: string): T | undefined {
  for (const line of lines) {
    if (!line.startsWith('{')) continue;
    const record = JSON.parse(line) as Record<string, unknown>;
    if (record.msg === msg && record[field] !== undefined) return record[field] as T;
  }
  return undefined;
}
