import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Changes } from '../lib/changes.ts';
import { codeOf, CreateMode, Nzk } from '../zookeeper/testing/nzk.ts';
import { openTabs, waitForEnsemble, waitForLocalData } from './cluster.ts';
import { expect, note, test } from './fixtures.ts';
import { NodeProcess, REPOSITORY_ROOT, type SignalingServer } from './processes.ts';

// Goal (issue 14): ZooKeeper's own tools, none written here, work against a cluster of three
// browser tabs through the listener `npm start` runs: Debian's zkCli.sh, node-zookeeper-client
// from npm, and Debian's python3-kazoo with its Lock and Election recipes. Method: the real
// signaling server (with `--zk-port 0`), three Chromium tabs, the tools as child processes.

const ZKCLI = '/usr/share/zookeeper/bin/zkCli.sh';
const PYTHON = '/usr/bin/python3';
const KAZOO_SCRIPT = join(REPOSITORY_ROOT, 'zookeeper', 'testing', 'kazoo_recipes.py');

/** A tool run to the end: its exit code and output lines (zkCli's SLF4J noise dropped). */
interface ToolRun {
  readonly code: number | null;
  readonly lines: string[];
}

class Tool {
  readonly lines: string[] = [];
  readonly exited: Promise<number | null>;
  private readonly changes = new Changes();

  constructor(readonly child: ChildProcess) {
    let partial = '';
    const collect = (chunk: Buffer) => {
      const parts = (partial + chunk.toString('utf8')).split('\n');
      partial = parts.pop() ?? '';
      this.lines.push(...parts.filter((line) => !line.startsWith('SLF4J')));
      this.changes.changed();
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    void this.exited.then(() => {
      this.changes.changed();
    });
  }

  static start(command: string, args: readonly string[]): Tool {
    return new Tool(spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, JAVA_TOOL_OPTIONS: '-Xss1m' } }));
  }

  waitForLine(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
    return this.changes.until(() => this.lines.find((candidate) => pattern.test(candidate)), {
      timeoutMs,
      ended: () => this.child.exitCode !== null,
      failure: (why) =>
        new Error(`${why === 'ended' ? `exited (${this.child.exitCode}) before a line matching ${pattern}` : `no line matching ${pattern} within ${timeoutMs} ms`}; output:\n${this.lines.join('\n')}`),
    });
  }

  stop(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

async function zkCli(server: string, ...command: string[]): Promise<ToolRun> {
  const tool = Tool.start(ZKCLI, ['-server', server, ...command]);
  const code = await Promise.race([tool.exited, new Promise<null>((resolve) => setTimeout(() => resolve(null), 60_000))]);
  tool.stop();
  return { code, lines: tool.lines };
}

async function connectString(signaling: SignalingServer, root: string): Promise<string> {
  return `127.0.0.1:${await signaling.zookeeperPort()}/${root}`;
}

/** The seat the listener attached a session to, from the signaling server's JSON log. */
function seatsOfSessions(signaling: SignalingServer): Map<string, number> {
  const seats = new Map<string, number>();
  for (const line of signaling.process.stderr) {
    if (!line.startsWith('{')) continue;
    const record = JSON.parse(line) as { msg?: string; session?: string; seat?: number };
    if (record.msg === 'zookeeper session attached' && record.session !== undefined && record.seat !== undefined) seats.set(record.session, record.seat);
  }
  return seats;
}

test('zkCli.sh creates, reads, lists, stats, updates and deletes znodes, and a watch fires', async ({ profile, address, cluster, signaling }) => {
  test.skip(!existsSync(ZKCLI), `${ZKCLI} is missing: .ci/run installs Debian's zookeeper package`);
  const tabs = await openTabs(profile, address(3), 3);
  await waitForEnsemble(tabs);
  const server = await connectString(signaling, cluster);
  const started = Date.now();

  expect((await zkCli(server, 'create', '/zk', 'hello')).lines).toContain('Created /zk');
  expect((await zkCli(server, 'get', '/zk')).lines).toContain('hello');
  await zkCli(server, 'set', '/zk', 'there');
  const stat = (await zkCli(server, 'stat', '/zk')).lines;
  expect(stat).toContain('dataVersion = 1');
  expect(stat).toContain('dataLength = 5');
  expect(stat).toContain('numChildren = 0');
  expect(stat).toContain('ephemeralOwner = 0x0');
  await zkCli(server, 'create', '/zk/child', 'c');
  expect((await zkCli(server, 'ls', '/zk')).lines).toContain('[child]');
  expect((await zkCli(server, 'delete', '/zk')).lines.join('\n')).toMatch(/Node not empty: \/zk/);
  for (const tab of tabs) await waitForLocalData(tab, '/zk', 'there');

  // A watch: an interactive zkCli sets it; another zkCli changes the znode; the first prints the event.
  const watcher = Tool.start(ZKCLI, ['-server', server]);
  try {
    await watcher.waitForLine(/WatchedEvent state:SyncConnected type:None/);
    watcher.child.stdin?.write('get -w /zk\n');
    await watcher.waitForLine(/^there$/);
    await zkCli(server, 'set', '/zk', 'changed');
    expect(await watcher.waitForLine(/type:NodeDataChanged/)).toMatch(/WatchedEvent state:SyncConnected type:NodeDataChanged path:\/zk$/);
    watcher.child.stdin?.write('quit\n');
  } finally {
    watcher.stop();
  }

  await zkCli(server, 'delete', '/zk/child');
  await zkCli(server, 'delete', '/zk');
  expect((await zkCli(server, 'ls', '/')).lines).toContain('[]');
  await expect.poll(() => tabs[2]!.run({ op: 'exists', path: '/zk' })).toMatchObject({ ok: true, value: null });
  note('zkCli', `12 zkCli.sh runs and a watch in ${Date.now() - started} ms`);
});

test('an operations file with an invalid path: zkCli.sh and the CLI reject that line alone and go on, line for line', async ({ profile, address, cluster, signaling }) => {
  test.skip(!existsSync(ZKCLI), `${ZKCLI} is missing: .ci/run installs Debian's zookeeper package`);
  const tabs = await openTabs(profile, address(3), 3);
  await waitForEnsemble(tabs);
  const file = (root: string) => `create /${root} 1\nget ${root}\ncreate /${root}//b x\nget /${root}\n`;

  const zk = Tool.start(ZKCLI, ['-server', await connectString(signaling, cluster)]);
  zk.child.stdin?.end(`${file('zk')}quit\n`);
  await zk.exited;
  const zkLines = zk.lines.filter((line) => line !== '' && !/WATCHER::|WatchedEvent/.test(line));
  // ZooKeeper's client: created, the two invalid paths rejected (IllegalArgumentException), then the read runs.
  expect(zkLines.slice(-4), zk.lines.join('\n')).toEqual(['Created /zk', 'Path must start with / character', 'Invalid path string "/zk//b" caused by empty node name specified @4', '1']);

  const cli = NodeProcess.start('cli/main.ts', ['--url', signaling.url, '--cluster', cluster, '--connect-timeout', '20'], { stdin: file('tk') });
  const exit = await cli.exited;
  expect(cli.stdout.filter((line) => line !== ''), cli.output()).toEqual(['create /tk -> /tk', 'error BadArguments tk', 'error BadArguments /tk//b', 'get /tk -> "1" (version 0)']);
  expect(exit, cli.output()).toEqual({ code: 0, signal: null });
});

test('node-zookeeper-client: operations, multi, a watch, and a session that moves when its tab closes', async ({ profile, address, cluster, signaling }) => {
  const tabs = await openTabs(profile, address(3), 3);
  await waitForEnsemble(tabs);
  const connect = await connectString(signaling, cluster);
  const zk = await Nzk.connect(connect, 10_000);
  const other = await Nzk.connect(connect, 10_000);
  try {
    expect(await zk.create('/n', 'one')).toBe('/n');
    expect((await zk.getData('/n')).data).toBe('one');
    expect((await zk.setData('/n', 'two', 0)).version).toBe(1);
    expect(await zk.setData('/n', 'x', 0).then(() => 0, codeOf)).toBe(-103); // BadVersion
    expect(await zk.create('/n/s-', '', CreateMode.PERSISTENT_SEQUENTIAL)).toBe('/n/s-0000000000');
    await zk.multi((t) => t.create('/n/a', Buffer.from('a')).create('/n/b', Buffer.from('b')).setData('/n', Buffer.from('three'), 1));
    expect((await zk.getChildren('/n')).children).toEqual(['a', 'b', 's-0000000000']);
    expect(await zk.multi((t) => t.remove('/n/a').create('/n/b')).then(() => 0, codeOf)).toBe(-110); // NodeExists
    expect(await zk.exists('/n/a')).not.toBeNull(); // all or nothing
    await zk.getData('/n', true);
    await other.setData('/n', 'four');
    await expect.poll(() => zk.events.map((event) => `${event.getName()} ${event.getPath()}`)).toEqual(['NODE_DATA_CHANGED /n']);
    await zk.remove('/n/s-0000000000');
    for (const tab of tabs) await waitForLocalData(tab, '/n', 'four');

    // The session's tab closes: the client reconnects, the session resumes on another tab with its ephemeral and watch.
    await zk.create('/n/mine', 'eph', CreateMode.EPHEMERAL);
    await zk.exists('/n/later', true);
    const session = `zk-${zk.sessionIdHex()}`;
    const seat = seatsOfSessions(signaling).get(session);
    expect(seat, 'the seat the session was attached to').toBeDefined();
    const started = Date.now();
    await tabs[seat! - 1]!.close();
    await expect.poll(() => seatsOfSessions(signaling).get(session), { timeout: 30_000 }).not.toBe(seat);
    await expect.poll(async () => (await zk.getData('/n/mine').catch(() => null))?.data, { timeout: 30_000 }).toBe('eph');
    note('session moved', `from seat ${seat} to seat ${seatsOfSessions(signaling).get(session)} in ${Date.now() - started} ms`);
    expect(zk.states.some((state) => state.startsWith('DISCONNECTED'))).toBe(true);
    expect(zk.states.some((state) => state.startsWith('EXPIRED'))).toBe(false);
    await other.create('/n/later', '');
    await expect.poll(() => zk.events.map((event) => `${event.getName()} ${event.getPath()}`), { timeout: 20_000 }).toContain('NODE_CREATED /n/later');
  } finally {
    zk.close();
    other.close();
  }
});

test('kazoo: Lock and Election recipes with clients on different tabs', async ({ profile, address, cluster, signaling }) => {
  test.skip(!existsSync(PYTHON), `${PYTHON} is missing`);
  const tabs = await openTabs(profile, address(3), 3);
  await waitForEnsemble(tabs);
  const port = await signaling.zookeeperPort();
  // `cluster@seat` pins each client to one tab.
  const hosts = [1, 2, 3].map((seat) => `127.0.0.1:${port}/${cluster}@${seat}`);
  const started = Date.now();
  const kazoo = Tool.start(PYTHON, [KAZOO_SCRIPT, ...hosts]);
  try {
    const line = await kazoo.waitForLine(/^\{"lock"/, 120_000);
    const result = JSON.parse(line) as { lock: number[]; overlap: boolean; leaders: number[] };
    expect(result.overlap, 'two clients held the lock at once').toBe(false);
    expect([...result.lock].sort()).toEqual([0, 0, 1, 1, 2, 2]);
    expect([...result.leaders].sort()).toEqual([0, 1, 2]);
    expect(await kazoo.exited, kazoo.lines.join('\n')).toBe(0);
    note('kazoo', `lock order ${result.lock.join(',')}, leaders ${result.leaders.join(',')} in ${Date.now() - started} ms`);
  } finally {
    kazoo.stop();
  }
  const seats = [...seatsOfSessions(signaling).values()];
  expect(new Set(seats)).toEqual(new Set([1, 2, 3]));
  // Each tab's page shows the ZooKeeper session it served in its log.
  for (const tab of tabs) await expect(tab.page.getByTestId('log')).toContainText(/ZooKeeper session zk-[0-9a-f]{16}: started here/);
});
