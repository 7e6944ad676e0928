import { randomBytes } from 'node:crypto';
import { test as base, type BrowserContext, type TestInfo } from '@playwright/test';
import { launchProfileBrowser, type ProfileBrowser } from './chromium.ts';
import type { PageGlobals } from './contract.ts';
import { startSignalingServer, type SignalingServer } from './processes.ts';
import type { TabAddress } from './tab.ts';

/**
 * Fixtures: one signaling server per worker (serving the app global-setup.ts built), and per
 * test a fresh cluster name and browsers with their own on-disk profiles, all closed in
 * teardown whatever the test did (killed renderers leave defunct processes otherwise).
 */

export const STATIC_DIRECTORY_VARIABLE = 'TABKEEPER_E2E_STATIC_DIR';

interface WorkerFixtures {
  signaling: SignalingServer;
}

interface TestFixtures {
  /** A cluster name no other test uses. */
  cluster: string;
  /** The address of this test's cluster with `size` voters. */
  address: (size: number, query?: Readonly<Record<string, string>>) => TabAddress;
  /** The test's first browser (one persistent profile: its tabs share IndexedDB, as one user's do). */
  profile: BrowserContext;
  /** Launches another browser with a profile of its own. */
  launchBrowser: () => Promise<BrowserContext>;
}

export const test = base.extend<TestFixtures, WorkerFixtures>({
  signaling: [
    async ({}, use) => {
      const staticDirectory = process.env[STATIC_DIRECTORY_VARIABLE];
      if (staticDirectory === undefined) throw new Error(`${STATIC_DIRECTORY_VARIABLE} is not set: global-setup.ts builds the app and sets it`);
      const server = await startSignalingServer(staticDirectory);
      await use(server);
      await server.stop();
    },
    { scope: 'worker', timeout: 60_000 },
  ],

  cluster: async ({}, use, testInfo) => {
    const slug = testInfo.title.toLowerCase().replace(/[^a-z0-9]+/g, '-').slice(0, 40).replace(/-+$/, '');
    await use(`e2e-${slug}-${randomBytes(4).toString('hex')}`);
  },

  address: async ({ signaling, cluster }, use) => {
    await use((size, query) => ({ serverUrl: signaling.url, cluster, size, ...(query === undefined ? {} : { query }) }));
  },

  launchBrowser: async ({ signaling }, use, testInfo) => {
    const browsers: ProfileBrowser[] = [];
    await use(async () => {
      const browser = await launchProfileBrowser();
      browsers.push(browser);
      return browser.context;
    });
    if (testInfo.status !== testInfo.expectedStatus) await attachDiagnostics(testInfo, browsers, signaling);
    const unsendable = testInfo.status === testInfo.expectedStatus ? await unsendableMessages(browsers) : [];
    await Promise.all(browsers.map((browser) => browser.close()));
    // A message too large for the transport is a bug, never a silent counter: it fails the test.
    if (unsendable.length > 0) throw new Error(`tabs could not send messages above the transport's limit:\n${unsendable.join('\n')}`);
  },

  profile: async ({ launchBrowser }, use) => {
    await use(await launchBrowser());
  },
});

export { expect } from '@playwright/test';

/** A measured fact about this run (a time, a count): in the report, and printed in the list output. */
export function note(type: string, description: string): void {
  base.info().annotations.push({ type, description });
  process.stdout.write(`    [${type}] ${description}\n`);
}

/** Open tabs that refused to send a message too large for the transport (status().unsendable > 0). */
async function unsendableMessages(browsers: readonly ProfileBrowser[]): Promise<string[]> {
  const found: string[] = [];
  for (const browser of browsers) {
    for (const page of browser.context.pages()) {
      const count = await page.evaluate(() => (globalThis as PageGlobals).tabkeeper?.status().unsendable ?? 0).catch(() => 0);
      if (count > 0) found.push(`${page.url()}: ${count}`);
    }
  }
  return found;
}

/** On failure: every open tab's status() and the signaling server's log, attached to the report. */
async function attachDiagnostics(testInfo: TestInfo, browsers: readonly ProfileBrowser[], signaling: SignalingServer): Promise<void> {
  const lines: string[] = [];
  for (const browser of browsers) {
    for (const page of browser.context.pages()) {
      const status = await page
        .evaluate(() => (globalThis as PageGlobals).tabkeeper?.status() ?? 'no window.tabkeeper')
        .catch((error: Error) => `unreadable: ${error.message.split('\n')[0]}`);
      lines.push(`${page.url()}\n${JSON.stringify(status, null, 1)}`);
    }
  }
  await testInfo.attach('tab statuses', { body: lines.join('\n'), contentType: 'text/plain' });
  await testInfo.attach('signaling log (last 300 lines)', { body: signaling.process.stderr.slice(-300).join('\n'), contentType: 'text/plain' });
}
