import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { parseHistory } from '../core/sim/linearizability/history.ts';
import { SignalingServer } from '../signaling/server.ts';
import { silentLogger } from '../signaling/logger.ts';
import { runCli } from './run.ts';
import { MemoryZooKeeper } from './testing/memory-zookeeper.ts';
import { TabStandIn, type TabStandInOptions } from './testing/tab-stand-in.ts';

// Goal: the CLI runs a whole operations file through the gateway to a tab and prints one line
// per operation; bad lines and connection failures give their exit codes; when its tab goes
// away it sends the operation again on another seat (or the forced one, reclaimed), a write
// with the same request number, and prints the original result instead of ConnectionLoss.
// Method: runCli in-process against a real signaling server on an ephemeral port, with Node
// tab stand-ins (test doubles answering from an in-memory ZooKeeper) instead of browsers.

class Collector extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

async function run(argv: string[], input: string, env: Record<string, string> = {}) {
  const stdout = new Collector();
  const stderr = new Collector();
  const code = await runCli(argv, { stdin: Readable.from([input]), stdout, stderr, interactive: false, env });
  return { code, stdout: stdout.text, stderr: stderr.text, lines: stdout.text.split('\n').filter((line) => line !== '') };
}

const OPS = `# A whole session, every operation form
create /app config-v1
create /app/workers ""
create -s /app/workers/w- "worker one"   # sequential
create -e -s /app/workers/w- 'worker two'
create -e /app/lock held
ls /app/workers
get /app
set /app config-v2 0
set /app config-v3 0
stat /app
exists /app/lock
exists /app/nothing
sync /app
delete /app/workers
delete /app/lock 5
delete /app/lock
get /app/lock
`;

const EXPECTED = [
  'create /app -> /app',
  'create /app/workers -> /app/workers',
  'create /app/workers/w- -> /app/workers/w-0000000000',
  'create /app/workers/w- -> /app/workers/w-0000000001',
  'create /app/lock -> /app/lock',
  'ls /app/workers -> ["w-0000000000","w-0000000001"]',
  'get /app -> "config-v1" (version 0)',
  'set /app -> version 1',
  'error BadVersion /app',
  'stat /app -> version 1, cversion 2, children 2, dataLength 9, czxid 1:1, mzxid 1:6, ephemeralOwner none',
  expect.stringMatching(/^exists \/app\/lock -> yes \(version 0\)$/),
  'exists /app/nothing -> no',
  'sync /app -> ok',
  'error NotEmpty /app/workers',
  'error BadVersion /app/lock',
  'delete /app/lock -> ok',
  'error NoNode /app/lock',
];

describe('cli', () => {
  let server: SignalingServer;
  const standIns: TabStandIn[] = [];
  const scratch = mkdtempSync(join(tmpdir(), 'tabkeeper-cli-'));

  async function startServer(): Promise<string> {
    server = await SignalingServer.start({ host: '127.0.0.1', port: 0, logger: silentLogger, seatGraceMs: 0 }); // tabs join at once: no grace after start
    return server.url;
  }

  async function standIn(options: Omit<TabStandInOptions, 'url'>): Promise<TabStandIn> {
    const tab = await TabStandIn.join({ url: server.url, ...options });
    standIns.push(tab);
    return tab;
  }

  afterEach(async () => {
    for (const tab of standIns.splice(0)) tab.close();
    await server?.close();
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  test('runs a whole operations file against a tab and prints one readable line per operation', async () => {
    const url = await startServer();
    const tab = await standIn({ cluster: 'demo' });
    const result = await run(['--url', url, '--cluster', 'demo'], OPS);
    expect(result.lines).toEqual(EXPECTED);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/# attached to seat 1 of cluster demo \(voter\)/);
    expect(tab.requests).toHaveLength(EXPECTED.length);
  });

  test('--json prints one JSON object per operation', async () => {
    const url = await startServer();
    await standIn({ cluster: 'demo' });
    const result = await run(['--url', url, '--cluster', 'demo', '--json'], 'create /a "x y"\nget /missing\nls /\n');
    expect(result.code).toBe(0);
    expect(result.lines.map((line) => JSON.parse(line))).toEqual([
      { line: 1, op: 'create', path: '/a', ok: true, result: '/a' },
      { line: 2, op: 'get', path: '/missing', ok: false, error: 'NoNode' },
      { line: 3, op: 'ls', path: '/', ok: true, result: ['a'] },
    ]);
  });

  test('--history writes the call/return history in the format core/sim/linearizability reads', async () => {
    const url = await startServer();
    await standIn({ cluster: 'demo' });
    const file = join(scratch, 'history.json');
    const result = await run(['--url', url, '--cluster', 'demo', '--history', file], OPS);
    expect(result.code).toBe(0);
    const raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>[];
    const records = parseHistory(raw.map((record) => ({ ...record, result: null })));
    expect(records).toHaveLength(EXPECTED.length - 1); // every operation but the sync
    expect(new Set(records.map((record) => record.client)).size).toBe(1);
    expect(raw[0]).toMatchObject({ op: 'create', path: '/app', value: 'config-v1', sequential: false, ok: true, result: '/app' });
    expect(raw[2]).toMatchObject({ op: 'create', sequential: true, result: '/app/workers/w-0000000000' });
    expect(raw[6]).toMatchObject({ op: 'getData', result: { data: 'config-v1', version: 0 } });
    expect(raw[8]).toMatchObject({ op: 'setData', version: 0, ok: false, result: 'BadVersion' });
    expect(raw[9]).toMatchObject({ op: 'exists', ok: true, result: 1 }); // the stat
    for (let index = 1; index < records.length; index++) expect(records[index]!.call).toBeGreaterThanOrEqual(records[index - 1]!.return!);
  });

  test('an invalid path fails that line alone with BadArguments, as in ZooKeeper, and the next lines run', async () => {
    const url = await startServer();
    const tab = await standIn({ cluster: 'demo' });
    const result = await run(['--url', url, '--cluster', 'demo'], 'create /a 1\nget a\ncreate /a//b x\nget /a\n');
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')).toEqual(['create /a -> /a', 'error BadArguments a', 'error BadArguments /a//b', 'get /a -> "1" (version 0)', '']);
    expect(result.stderr).toContain("# line 2: path must start with / character: 'a'");
    expect(result.stderr).toContain('# line 3: invalid path string "/a//b" caused by empty node name specified @3');
    // Rejected by the client, never sent: the tab saw only the two valid requests.
    expect(tab.requests.map((request) => (request.op as { op: string }).op)).toEqual(['create', 'get']);
  });

  test('bad lines: every one is named by its line number, nothing runs, exit 2', async () => {
    const url = await startServer();
    const tab = await standIn({ cluster: 'demo' });
    const result = await run(['--url', url, '--cluster', 'demo'], 'create /a 1\nget a\nremove /a\nset /a "open\n');
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n')).toEqual([
      "line 3: unknown operation 'remove' (expected create, get, set, delete, ls, stat, sync, exists)",
      'line 4: unterminated double quote (opened at column 8)',
      '2 bad lines; nothing was run',
      '',
    ]);
    expect(result.stdout).toBe('');
    expect(tab.requests).toEqual([]);
  });

  test('bad flags exit 2 with the usage', async () => {
    for (const argv of [[], ['--cluster', 'demo', '--seat', 'two'], ['--cluster', 'bad name'], ['--cluster', 'demo', '--verbose']]) {
      const result = await run(argv, '');
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/Usage: npm run cli/);
    }
  });

  test('connection failures exit 1: no server, no tab in the cluster, a wrong key', async () => {
    const url = await startServer();
    await standIn({ cluster: 'keyed', key: 'right' });
    const noTab = await run(['--url', url, '--cluster', 'empty', '--connect-timeout', '0.5'], 'get /\n');
    expect(noTab).toMatchObject({ code: 1, stdout: '' });
    expect(noTab.stderr).toMatch(/connection failure: cannot reach cluster empty at .*: no tab has joined cluster empty/);
    // A wrong key names a room nobody joined: the server answers as for a cluster nobody
    // created (it tells no outsider which clusters exist), so the CLI waits its connect timeout.
    const wrongKey = await run(['--url', url, '--cluster', 'keyed', '--key', 'wrong', '--connect-timeout', '0.5'], 'get /\n');
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toMatch(/cannot reach cluster keyed .*: no tab has joined cluster keyed with this key/);
    await server.close();
    const noServer = await run(['--url', url, '--cluster', 'keyed', '--connect-timeout', '0.5'], 'get /\n');
    expect(noServer.code).toBe(1);
    expect(noServer.stderr).toMatch(/connection failure: cannot reach cluster keyed .*could not connect/);
  });

  test('the key comes from --key or TABKEEPER_KEY', async () => {
    const url = await startServer();
    await standIn({ cluster: 'keyed', key: 's3cret' });
    expect((await run(['--url', url, '--cluster', 'keyed', '--key', 's3cret'], 'create /k 1\n')).lines).toEqual(['create /k -> /k']);
    expect((await run(['--url', url, '--cluster', 'keyed'], 'get /k\n', { TABKEEPER_KEY: 's3cret' })).lines).toEqual(['get /k -> "1" (version 0)']);
  });

  test('when its tab dies after applying a write but before answering, the CLI sends it again elsewhere and prints the original result', async () => {
    const url = await startServer();
    const store = new MemoryZooKeeper();
    // The first tab asked about /vanish applies the write, then vanishes: the answer is lost.
    let vanished = false;
    const vanishOn = (request: { clientId: string; op: unknown }) => {
      if ((request.op as { path?: string }).path !== '/vanish' || vanished) return true;
      vanished = true;
      store.apply(request.clientId, request.op);
      setImmediate(() => standIns.find((tab) => tab.requests.includes(request as never))?.close());
      return false;
    };
    await standIn({ cluster: 'demo', store, beforeAnswer: vanishOn });
    await standIn({ cluster: 'demo', store, beforeAnswer: vanishOn });
    const result = await run(['--url', url, '--cluster', 'demo'], 'create /a x\ncreate -s /vanish x\nget /a\nset /a y\n');
    // Applied once, and its original result (not NodeExists, not a second sequential node).
    expect(result.lines).toEqual(['create /a -> /a', 'create /vanish -> /vanish0000000001', 'get /a -> "x" (version 0)', 'set /a -> version 1']);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/# connection loss: the tab at seat (\d) left/);
    expect(result.stderr).toContain('# sending create /vanish (write number 2) again (attempt 2)');
    expect(result.stderr.match(/# attached to seat/g)).toHaveLength(2);
    expect(store.apply('check', { op: 'ls', path: '/' })).toEqual({ ok: true, value: ['a', 'vanish0000000001'] });
    // The same request, numbered the same, reached both tabs.
    const sent = standIns.flatMap((tab) => tab.requests.filter((request) => (request.op as { path?: string }).path === '/vanish').map((request) => request.op));
    expect(sent).toEqual([
      { op: 'create', path: '/vanish', data: 'x', ephemeral: false, sequential: true, requestNumber: 2 },
      { op: 'create', path: '/vanish', data: 'x', ephemeral: false, sequential: true, requestNumber: 2 },
    ]);
    // Writes are numbered in order; reads are not.
    const inOrder = standIns.flatMap((tab) => tab.requests).sort((a, b) => a.requestId - b.requestId);
    expect(inOrder.map((request) => (request.op as { requestNumber?: number }).requestNumber)).toEqual([1, 2, 2, undefined, 3]);
  });

  test('an answer that never comes within --timeout is ConnectionLoss (unknown outcome), and the next line runs', async () => {
    const url = await startServer();
    const store = new MemoryZooKeeper();
    await standIn({ cluster: 'demo', store, beforeAnswer: (request) => (request.op as { path?: string }).path !== '/stuck' });
    const result = await run(['--url', url, '--cluster', 'demo', '--timeout', '0.5'], 'create /stuck x\ncreate /a x\n');
    expect(result.lines).toEqual(['error ConnectionLoss /stuck', 'create /a -> /a']);
    expect(result.code).toBe(0);
  });

  test('with --seat it only ever talks to that seat, and waits for a reloaded tab to reclaim it', async () => {
    const url = await startServer();
    const store = new MemoryZooKeeper();
    const other = await standIn({ cluster: 'demo', store });
    const reload = (request: { op: unknown }) => {
      if ((request.op as { path?: string }).path !== '/reload') return true;
      setImmediate(() => {
        standIns.find((tab) => tab.seat === 2)?.close();
        void standIn({ cluster: 'demo', seat: 2, store });
      });
      return false;
    };
    await standIn({ cluster: 'demo', store, beforeAnswer: reload });
    const result = await run(['--url', url, '--cluster', 'demo', '--seat', '2'], 'create /a x\nget /reload\nget /a\n');
    // The read lost with the tab is sent again to the tab that reclaimed seat 2.
    expect(result.lines).toEqual(['create /a -> /a', 'error NoNode /reload', 'get /a -> "x" (version 0)']);
    expect(result.code).toBe(0);
    expect(other.requests).toEqual([]);
  });

  test('with --seat, a seat nobody reclaims ends in a connection failure (exit 1)', async () => {
    const url = await startServer();
    await standIn({ cluster: 'demo', seat: 1 });
    const leave = (request: { op: unknown }) => {
      if ((request.op as { path?: string }).path !== '/leave') return true;
      setImmediate(() => standIns.find((tab) => tab.seat === 2)?.close());
      return false;
    };
    await standIn({ cluster: 'demo', seat: 2, beforeAnswer: leave });
    // The timeout bounds the first attach too: generous, so a loaded machine cannot fail the first
    // line; the wait for a seat nobody reclaims then takes this long.
    const result = await run(['--url', url, '--cluster', 'demo', '--seat', '2', '--connect-timeout', '3'], 'sync /a\nsync /leave\nget /\n');
    // The lost sync waits for seat 2 to come back, which it never does.
    expect(result.lines).toEqual(['sync /a -> ok']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/connection failure: .*no tab holds seat 2 of cluster demo/);
  });

  test('interactive: a prompt that runs each line, reports bad ones and keeps going', async () => {
    const url = await startServer();
    await standIn({ cluster: 'demo' });
    const stdin = new PassThrough();
    const stdout = new Collector();
    const stderr = new Collector();
    const done = runCli(['--url', url, '--cluster', 'demo'], { stdin, stdout, stderr, interactive: true });
    await waitFor(() => stdout.text.includes('demo@1> '));
    stdin.write('create /i "typed in"\n');
    await waitFor(() => stdout.text.includes('create /i -> /i'));
    stdin.write('get i\n');
    await waitFor(() => stderr.text.includes("line 2: path must start with / character: 'i'"));
    stdin.write('get /i\n');
    await waitFor(() => stdout.text.includes('get /i -> "typed in" (version 0)'));
    stdin.write('quit\n');
    expect(await done).toBe(0);
  });
});

/** Polls a condition (no fixed sleep): resolves as soon as it holds, fails after the timeout. */
async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
