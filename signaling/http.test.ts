import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { resolveStaticFile } from './http.ts';
import { ServerFixture } from './testing/fixture.ts';

// Goal: the same port serves /health (JSON) and, when built, the client app; nothing outside
// the app's directory is ever served. Method: fetch against a real server.
describe('http', () => {
  const fixture = new ServerFixture();
  const dist = mkdtempSync(join(tmpdir(), 'tabkeeper-dist-'));
  mkdirSync(join(dist, 'assets'));
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>TabKeeper</title>');
  writeFileSync(join(dist, 'assets', 'app-1234.js'), 'console.log("app")');
  afterEach(() => fixture.teardown());
  afterAll(() => rmSync(dist, { recursive: true, force: true }));

  test('GET /health answers JSON with rooms, seats and uptime', async () => {
    await fixture.start({ staticDir: dist });
    await fixture.tab({ cluster: 'a' });
    await fixture.tab({ cluster: 'a' });
    await fixture.tab({ cluster: 'b' });
    const response = await fetch(`${fixture.server.url}/health`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/application\/json/);
    expect(await response.json()).toMatchObject({ status: 'ok', rooms: 2, seats: 3, sockets: 3, redis: false, uptimeSeconds: expect.any(Number) });
  });

  test('serves the built app: files, index.html for client routes, 404 for missing assets', async () => {
    await fixture.start({ staticDir: dist });
    const index = await fetch(`${fixture.server.url}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/text\/html/);
    expect(await index.text()).toContain('<title>TabKeeper</title>');
    const asset = await fetch(`${fixture.server.url}/assets/app-1234.js`);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    expect(asset.headers.get('cache-control')).toMatch(/immutable/);
    expect(await (await fetch(`${fixture.server.url}/cluster/demo`)).text()).toContain('TabKeeper');
    expect((await fetch(`${fixture.server.url}/assets/missing.js`)).status).toBe(404);
  });

  test('never leaves the app directory', () => {
    expect(resolveStaticFile(dist, '/../../etc/passwd')).toBeNull();
    expect(resolveStaticFile(dist, '/%2e%2e/%2e%2e/etc/passwd')).toBeNull();
    expect(resolveStaticFile(dist, '/assets/%00.js')).toBeNull();
    expect(resolveStaticFile(dist, '/%E0%A4%A')).toBeNull();
    expect(resolveStaticFile(dist, '/assets/app-1234.js')?.path).toBe(join(dist, 'assets', 'app-1234.js'));
  });

  test('without a built app the root says so, and other methods are refused', async () => {
    await fixture.start({ staticDir: join(dist, 'does-not-exist') });
    expect(await (await fetch(`${fixture.server.url}/`)).text()).toMatch(/No client app is built/);
    expect(fixture.logged('static directory not found; serving no app')).toHaveLength(1);
    expect((await fetch(`${fixture.server.url}/missing`)).status).toBe(404);
    const post = await fetch(`${fixture.server.url}/health`, { method: 'POST' });
    expect(post.status).toBe(405);
  });
});
