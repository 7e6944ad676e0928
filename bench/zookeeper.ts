import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as connectTcp } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import zookeeper from 'node-zookeeper-client';
import { withTimeout } from '../lib/deadline.ts';

/**
 * A real Apache ZooKeeper three-server ensemble on loopback, from Debian's `zookeeper` package
 * (its jar, run by hand with java: never the system service), with fsync on (forceSync=yes, the
 * default), and the same workloads as TabKeeper's through `node-zookeeper-client`.
 */

export const ZOOKEEPER_JAR = '/usr/share/java/zookeeper.jar';
export const ZOOKEEPER_MISSING = `ZooKeeper is not installed (${ZOOKEEPER_JAR} missing): apt-get install -y zookeeper (Debian), then run the bench again`;

export function zookeeperInstalled(): boolean {
  return existsSync(ZOOKEEPER_JAR) && existsSync('/usr/bin/java');
}

export interface Ensemble {
  /** Client ports of servers 1..3. */
  readonly clientPorts: number[];
  /** Index (0-based) of the leader and of one follower. */
  readonly leader: number;
  readonly follower: number;
  readonly version: string;
  stop(): Promise<void>;
}

async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<ReturnType<typeof createServer>>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => resolve(server));
    })),
  );
  const ports = servers.map((server) => (server.address() as { port: number }).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** A four-letter-word command (`srvr`) to one server; '' while it does not answer. */
function fourLetter(port: number, command: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connectTcp(port, '127.0.0.1');
    let text = '';
    socket.setTimeout(2000, () => socket.destroy());
    socket.on('connect', () => socket.write(command));
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('close', () => resolve(text));
    socket.on('error', () => resolve(''));
  });
}

export async function startEnsemble(): Promise<Ensemble> {
  const directory = mkdtempSync(join(tmpdir(), 'tabkeeper-bench-zk-'));
  const ports = await freePorts(9);
  const clientPorts = ports.slice(0, 3);
  const processes: ChildProcess[] = [];
  const stop = async () => {
    for (const child of processes) child.kill('SIGKILL');
    await Promise.all(processes.map((child) => (child.exitCode !== null ? null : new Promise((resolve) => child.once('exit', resolve)))));
    rmSync(directory, { recursive: true, force: true });
  };
  try {
    for (let index = 0; index < 3; index++) {
      const dataDir = join(directory, `server-${index + 1}`);
      mkdirSync(dataDir);
      writeFileSync(join(dataDir, 'myid'), `${index + 1}\n`);
      const config = [
        'tickTime=500',
        'initLimit=20',
        'syncLimit=10',
        `dataDir=${dataDir}`,
        `clientPort=${clientPorts[index]}`,
        'clientPortAddress=127.0.0.1',
        'forceSync=yes',
        'admin.enableServer=false',
        '4lw.commands.whitelist=srvr,ruok',
        'maxClientCnxns=0',
        ...[0, 1, 2].map((peer) => `server.${peer + 1}=127.0.0.1:${ports[3 + peer * 2]}:${ports[4 + peer * 2]}`),
      ];
      const file = join(directory, `zoo-${index + 1}.cfg`);
      writeFileSync(file, `${config.join('\n')}\n`);
      const child = spawn('java', ['-Xmx256m', '-XX:+UseSerialGC', '-Dzookeeper.jmx.log4j.disable=true', '-cp', `/etc/zookeeper/conf:${ZOOKEEPER_JAR}`, 'org.apache.zookeeper.server.quorum.QuorumPeerMain', file], {
        stdio: 'ignore',
      });
      processes.push(child);
    }
    const deadline = Date.now() + 60_000;
    let modes: string[] = [];
    let version = 'unknown';
    while (Date.now() < deadline) {
      const answers = await Promise.all(clientPorts.map((port) => fourLetter(port, 'srvr')));
      modes = answers.map((answer) => /Mode: (\w+)/.exec(answer)?.[1] ?? '');
      version = /Zookeeper version: ([^,\n-]+)/.exec(answers[0] ?? '')?.[1]?.trim() ?? version;
      if (modes.filter((mode) => mode === 'leader').length === 1 && modes.filter((mode) => mode === 'follower').length === 2) {
        return { clientPorts, leader: modes.indexOf('leader'), follower: modes.indexOf('follower'), version, stop };
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`the ZooKeeper ensemble did not elect a leader within 60 s (modes: ${modes.join(', ')})`);
  } catch (error) {
    await stop();
    throw error;
  }
}

/** node-zookeeper-client with promises, connected to one server. */
export class ZkClient {
  private constructor(private readonly client: zookeeper.Client) {}

  static async connect(port: number): Promise<ZkClient> {
    const client = zookeeper.createClient(`127.0.0.1:${port}`, { sessionTimeout: 10_000, retries: 0 });
    const connected = new Promise<void>((resolve) => client.once('connected', () => resolve()));
    client.connect();
    await withTimeout(connected, 15_000, () => {
      throw new Error(`no ZooKeeper session on port ${port} within 15 s`);
    });
    return new ZkClient(client);
  }

  create(path: string, data: string): Promise<void> {
    return new Promise((resolve, reject) => this.client.create(path, Buffer.from(data), (error) => (error ? reject(error) : resolve())));
  }

  remove(path: string): Promise<void> {
    return new Promise((resolve, reject) => this.client.remove(path, -1, (error) => (error ? reject(error) : resolve())));
  }

  setData(path: string, data: string): Promise<void> {
    return new Promise((resolve, reject) => this.client.setData(path, Buffer.from(data), -1, (error) => (error ? reject(error) : resolve())));
  }

  close(): void {
    this.client.close();
  }
}

/**
 * ZooKeeper's linearizable read, sync then getData, `warmup + count` times in sequence from one
 * server. node-zookeeper-client has no sync, so this one runs in Debian's python3-kazoo (timed
 * inside Python with perf_counter, as the others are timed inside their own process).
 */
export function syncedReads(port: number, path: string, count: number, warmup: number): number[] {
  const script = [
    'import json, sys, time',
    'from kazoo.client import KazooClient',
    `zk = KazooClient(hosts='127.0.0.1:${port}', timeout=10)`,
    'zk.start(timeout=15)',
    'taken = []',
    `for index in range(${warmup + count}):`,
    '    started = time.perf_counter()',
    `    zk.sync(${JSON.stringify(path)})`,
    `    zk.get(${JSON.stringify(path)})`,
    '    taken.append((time.perf_counter() - started) * 1000)',
    'zk.stop()',
    `print(json.dumps(taken[${warmup}:]))`,
  ].join('\n');
  // Debian's interpreter, which has Debian's python3-kazoo (a pyenv python3 on PATH may not).
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const run = spawnSync(python, ['-c', script], { encoding: 'utf8', timeout: 120_000 });
  if (run.status !== 0) throw new Error(`kazoo synced reads failed (is python3-kazoo installed? apt-get install -y python3-kazoo): ${run.stderr}`);
  return JSON.parse(run.stdout) as number[];
}

/** `warmup + count` sequential runs of `step(index)`; the last `count` latencies in ms. */
export async function sequential(count: number, warmup: number, step: (index: number) => Promise<void>): Promise<number[]> {
  const taken: number[] = [];
  for (let index = 0; index < warmup + count; index++) {
    const started = performance.now();
    await step(index);
    taken.push(performance.now() - started);
  }
  return taken.slice(warmup);
}

/** `total` runs of `step` with `outstanding` in flight at once. */
export async function pipelined(total: number, outstanding: number, step: () => Promise<void>): Promise<{ opsPerSecond: number; latencies: number[] }> {
  const latencies: number[] = [];
  let started = 0;
  const began = performance.now();
  const lane = async () => {
    while (started < total) {
      started++;
      const at = performance.now();
      await step();
      latencies.push(performance.now() - at);
    }
  };
  await Promise.all(Array.from({ length: outstanding }, lane));
  return { opsPerSecond: (1000 * latencies.length) / (performance.now() - began), latencies };
}
