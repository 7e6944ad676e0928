import { Readable, Writable } from 'node:stream';
import { afterEach, describe, expect, test } from 'vitest';
import { SignalingServer } from '../signaling/server.ts';
import { silentLogger } from '../signaling/logger.ts';
import { NodeCluster } from '../zookeeper/testing/node-cluster.ts';
import { runCli } from './run.ts';

// Goal (issue 10, item 5): a CLI whose tab dies, or whose tab's leader dies, during a stream of
// writes gets an answer for every write (never ConnectionLoss), and each write is applied
// exactly once. Method: runCli in-process against a real signaling server and three real
// ZabNodes answering as tabs (zookeeper/testing/node-cluster.ts: the tab's GatewaySessions on
// the replicated data tree); the writes are sequential creates, so a write applied twice would
// show as an extra child, and one applied never as a missing one.

class Collector extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
  get lines(): string[] {
    return this.text.split('\n').filter((line) => line !== '');
  }
}

const WRITES = 300;
const SCRIPT = ['create /jobs x', ...Array.from({ length: WRITES }, () => 'create -s /jobs/j- x')].join('\n');

describe('exactly-once CLI writes across failover', () => {
  let server: SignalingServer | null = null;
  let cluster: NodeCluster | null = null;
  afterEach(async () => {
    cluster?.stop();
    await server?.close();
    cluster = null;
    server = null;
  });

  async function start(): Promise<{ url: string; cluster: NodeCluster }> {
    server = await SignalingServer.start({ host: '127.0.0.1', port: 0, logger: silentLogger, seatGraceMs: 0 });
    cluster = await NodeCluster.start(server.url, 'demo');
    return { url: server.url, cluster };
  }

  /** Runs the script; `fault` runs once `after` results are printed. Returns the CLI's output. */
  async function runWith(argv: string[], after: number, fault: (stderr: string) => void) {
    const stdout = new Collector();
    const stderr = new Collector();
    const done = runCli(argv, { stdin: Readable.from([SCRIPT]), stdout, stderr, interactive: false });
    await waitFor(() => stdout.lines.length >= after);
    expect(stdout.lines.length, 'the fault comes while writes are still running').toBeLessThan(WRITES);
    fault(stderr.text);
    const code = await done;
    return { code, lines: stdout.lines, stderr: stderr.text };
  }

  /** Every line answered with a distinct created name, and the tree holds exactly those. */
  async function expectExactlyOnce(cluster: NodeCluster, output: { code: number; lines: string[]; stderr: string }) {
    expect(output.code, output.stderr).toBe(0);
    expect(output.lines).toHaveLength(WRITES + 1);
    const failed = output.lines.filter((line) => line.startsWith('error'));
    expect(failed, `no write failed (stderr:\n${output.stderr})`).toEqual([]);
    const created = output.lines.slice(1).map((line) => /^create \/jobs\/j- -> \/jobs\/(j-\d{10})$/.exec(line)?.[1]);
    expect(created.every((name) => name !== undefined)).toBe(true);
    expect(new Set(created).size, 'each reported name is a different znode').toBe(WRITES);
    const reader = cluster.tabs.find((tab) => !tab.node.stopped)!;
    const listed = await reader.gateway.run('reader', { op: 'ls', path: '/jobs' });
    if (!listed.ok) throw new Error(`ls /jobs failed: ${listed.error}`);
    const children = listed.value as string[];
    // A write applied twice is an extra child; one never applied a missing one.
    expect(children).toHaveLength(WRITES);
    expect([...children].sort()).toEqual([...(created as string[])].sort());
    // Sequential suffixes count creates: no gap means no create happened that nobody reported.
    expect(children.sort().at(-1)).toBe(`j-${String(WRITES - 1).padStart(10, '0')}`);
  }

  test('the tab the CLI is attached to dies after applying a write, before answering it: the write is sent again on another seat, applied once, answered with its original result', async () => {
    const { url, cluster } = await start();
    let killed = 0;
    const output = await runWith(['--url', url, '--cluster', 'demo', '--timeout', '30'], 30, (stderr) => {
      killed = Number(/attached to seat (\d+)/.exec(stderr)![1]);
      // The next write the tab takes reaches the cluster and is applied; the tab then dies
      // instead of answering (the worst moment: a blind retry would create a second znode).
      const gateway = cluster.tabs.find((tab) => tab.seat === killed)!.gateway;
      const run = gateway.run.bind(gateway);
      gateway.run = async (clientId, input) => {
        await run(clientId, input);
        cluster.closeTab(killed);
        return new Promise<never>(() => {});
      };
    });
    await expectExactlyOnce(cluster, output);
    expect(output.stderr).toContain(`connection loss: the tab at seat ${killed} left`);
    expect(output.stderr, 'the write in flight was sent again').toMatch(/sending create \/jobs\/j- \(write number \d+\) again/);
    const seats = [...output.stderr.matchAll(/attached to seat (\d+)/g)].map((match) => Number(match[1]));
    expect(seats.slice(1), 'attached again, elsewhere').not.toContain(killed);
  });

  test('the leader dies while the CLI is attached to a follower: its tab holds the numbered writes through the election', async () => {
    const { url, cluster } = await start();
    const leader = cluster.tabs.find((tab) => tab.node.view().state === 'LEADING')!;
    const follower = cluster.tabs.find((tab) => tab !== leader)!;
    const output = await runWith(['--url', url, '--cluster', 'demo', '--seat', String(follower.seat), '--timeout', '30'], 30, () => cluster.closeTab(leader.seat));
    await expectExactlyOnce(cluster, output);
  });
});

/** Polls a condition (no fixed sleep): resolves as soon as it holds, fails after the timeout. */
async function waitFor(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
