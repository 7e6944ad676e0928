import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STATIC_DIRECTORY_VARIABLE } from './fixtures.ts';
import { REPOSITORY_ROOT } from './processes.ts';

/**
 * Builds the client app once per run into a temporary directory (never the developer's
 * `dist/`, which `npm start` owns), and tells the workers where it is. Playwright passes the
 * environment set here on to its workers. Set TABKEEPER_E2E_STATIC_DIR to test an existing build.
 */
export default function globalSetup(): (() => void) | undefined {
  if (process.env[STATIC_DIRECTORY_VARIABLE] !== undefined) return undefined;
  const vite = join(REPOSITORY_ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  if (!existsSync(join(REPOSITORY_ROOT, 'vite.config.ts')) || !existsSync(vite)) {
    throw new Error('cannot build the client app: vite.config.ts or the vite package is missing');
  }
  const outDirectory = mkdtempSync(join(tmpdir(), 'tabkeeper-e2e-app-'));
  const started = Date.now();
  // Started with node directly, not npx, so nothing outlives the build (docs/BROWSER.md).
  const build = spawnSync(process.execPath, [vite, 'build', '--outDir', outDirectory, '--emptyOutDir', '--logLevel', 'warn'], {
    cwd: REPOSITORY_ROOT,
    stdio: 'inherit',
  });
  if (build.status !== 0) {
    rmSync(outDirectory, { recursive: true, force: true });
    throw new Error(`vite build failed (exit ${build.status ?? build.signal})`);
  }
  process.stdout.write(`e2e: built the client app in ${Date.now() - started} ms\n`);
  process.env[STATIC_DIRECTORY_VARIABLE] = outDirectory;
  return () => rmSync(outDirectory, { recursive: true, force: true });
}
