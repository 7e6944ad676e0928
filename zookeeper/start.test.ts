import { createServer } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { DEFAULT_OPTIONS, parseServerOptions } from '../signaling/options.ts';
import { ChildProcessUnderTest } from '../signaling/testing/process.ts';
import { NodeCluster } from './testing/node-cluster.ts';
import { Nzk } from './testing/nzk.ts';

// Goal: `npm start` / `npm run signaling` (signaling/main.ts) runs the ZooKeeper listener next to
// the signaling server: port 2181 unless told otherwise, `off` for none, a taken port logged
// rather than fatal. Method: the options parser, and the real entry point in a child process.

const processes: ChildProcessUnderTest[] = [];
const stops: (() => unknown)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  for (const child of processes.splice(0)) await child.stop();
});

function start(args: string[]): ChildProcessUnderTest {
  const child = ChildProcessUnderTest.start('signaling/main.ts', ['--host', '127.0.0.1', '--port', '0', '--log-format', 'json', '--seat-grace-ms', '0', ...args]);
  processes.push(child);
  return child;
}

describe('the ZooKeeper listener in signaling/main.ts', () => {
  test('options: port 2181 by default, any free port with 0, none with off; a fixed cluster and key', () => {
    expect(DEFAULT_OPTIONS.zkPort).toBe(2181);
    const parse = (argv: string[], env: Record<string, string> = {}) => {
      const parsed = parseServerOptions(argv, env);
      if (parsed.kind !== 'run') throw new Error('help');
      return parsed.options;
    };
    expect(parse(['--zk-port', '0']).zkPort).toBe(0);
    expect(parse([], { TABKEEPER_ZK_PORT: 'off' }).zkPort).toBeNull();
    expect(parse(['--zk-cluster', 'demo', '--zk-key', 'k'])).toMatchObject({ zkCluster: 'demo', zkKey: 'k' });
    expect(() => parse(['--zk-port', '70000'])).toThrow(/--zk-port/);
  });

  test('it listens next to the signaling server and serves a ZooKeeper client', async () => {
    const child = start(['--zk-port', '0']);
    const url = (JSON.parse(await child.waitForLine(/"msg":"listening"/)) as { url: string }).url;
    const port = (JSON.parse(await child.waitForLine(/"msg":"zookeeper listening"/)) as { port: number }).port;
    const cluster = await NodeCluster.start(url, 'demo');
    stops.push(() => cluster.stop());
    const zk = await Nzk.connect(`127.0.0.1:${port}/demo`);
    stops.push(() => zk.close());
    expect(await zk.create('/started', 'yes')).toBe('/started');
    expect((await zk.getData('/started')).data).toBe('yes');
  });

  test('a port already taken is logged and the signaling server runs on without the listener', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    stops.push(() => new Promise((resolve) => taken.close(resolve)));
    const port = (taken.address() as { port: number }).port;
    const child = start(['--zk-port', String(port)]);
    await child.waitForLine(/"msg":"listening"/);
    expect(await child.waitForLine(/zookeeper listener not started/)).toMatch(/EADDRINUSE/);
    expect(child.child.exitCode).toBeNull();
  });
});
