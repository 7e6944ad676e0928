import { spawn } from 'node:child_process';
import { afterEach, describe, expect, test } from 'vitest';
import { silentLogger } from '../signaling/logger.ts';
import { SignalingServer } from '../signaling/server.ts';
import { REPOSITORY_ROOT } from '../signaling/testing/process.ts';
import { TabStandIn } from './testing/tab-stand-in.ts';

// Goal: `npm run cli -- … < ops.txt` works as the README says, with its exit codes. Method: the
// real npm script in a child process, stdin from a pipe (so batch mode), against a real server
// and a tab stand-in.
function npmCli(args: string[], input: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'cli', '--', ...args], { cwd: REPOSITORY_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe('npm run cli', () => {
  let server: SignalingServer | null = null;
  let tab: TabStandIn | null = null;
  afterEach(async () => {
    tab?.close();
    await server?.close();
  });

  test('runs the operations piped to it and exits 0; a bad line exits 2', async () => {
    server = await SignalingServer.start({ host: '127.0.0.1', port: 0, logger: silentLogger, seatGraceMs: 0 }); // tabs join at once: no grace after start
    tab = await TabStandIn.join({ url: server.url, cluster: 'demo' });
    const ok = await npmCli(['--url', server.url, '--cluster', 'demo'], 'create /a "hello world"\nget /a\n');
    expect(ok).toMatchObject({ code: 0, stdout: 'create /a -> /a\nget /a -> "hello world" (version 0)\n' });
    const bad = await npmCli(['--url', server.url, '--cluster', 'demo'], 'get /a\nget /a extra\n');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^line 2: get takes only a path/m);
  });
});
