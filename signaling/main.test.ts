import { afterEach, describe, expect, test } from 'vitest';
import { ChildProcessUnderTest } from './testing/process.ts';
import { TestClient } from './testing/test-client.ts';

// Goal: `npm run signaling` as a user runs it: it starts from flags, logs readable structured
// lines, and on SIGTERM / SIGINT disconnects every tab, keeps their seats for them, and exits 0. Method: the real entry point
// in a child process on port 0.
describe('signaling/main.ts', () => {
  const processes: ChildProcessUnderTest[] = [];
  const clients: TestClient[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    for (const child of processes.splice(0)) await child.stop();
  });

  async function startServer(args: string[]): Promise<{ child: ChildProcessUnderTest; url: string }> {
    const child = ChildProcessUnderTest.start('signaling/main.ts', ['--host', '127.0.0.1', '--port', '0', ...args]);
    processes.push(child);
    const line = await child.waitForLine(/listening/);
    const url = /url=(\S+)/.exec(line)?.[1] ?? (JSON.parse(line) as { url: string }).url;
    return { child, url };
  }

  test.each(['SIGTERM', 'SIGINT'] as const)('on %s it disconnects tabs, leaves their seats to them and exits 0', async (signal) => {
    const { child, url } = await startServer(['--log-format', 'json', '--seat-grace-ms', '0']);
    const tab = await TestClient.connect(url);
    clients.push(tab);
    expect(await tab.join({ cluster: 'demo' })).toMatchObject({ ok: true, seat: 1 });
    child.child.kill(signal);
    await tab.disconnected();
    expect(await child.exited).toEqual({ code: 0, signal: null });
    const messages = child.lines.filter((line) => line.startsWith('{')).map((line) => (JSON.parse(line) as { msg: string }).msg);
    expect(messages).toEqual(expect.arrayContaining(['listening', 'seat claimed', 'signal received', 'seat kept for its tab', 'stopped']));
    // The tabs come back with their seat tokens (seat-ownership.ts): no seat is released, and no tab hears peer-left.
    expect(messages).not.toContain('seat released');
  });

  test('text logs are one readable line per event', async () => {
    const { child } = await startServer(['--cluster-size', '5']);
    expect(await child.waitForLine(/listening/)).toMatch(/^\d{4}-\d\d-\d\dT\S+Z INFO {2}listening url=http:\/\/127\.0\.0\.1:\d+ .*clusterSize=5/);
  });

  test('a bad flag exits 2 with the reason and the usage', async () => {
    const child = ChildProcessUnderTest.start('signaling/main.ts', ['--port', 'x']);
    processes.push(child);
    expect((await child.exited).code).toBe(2);
    expect(child.lines.join('\n')).toMatch(/--port: expected an integer/);
  });
});
