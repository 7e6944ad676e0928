import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from '@playwright/test';
import { chromiumLaunchOptions } from '../e2e/chromium.ts';

/**
 * e2e's Chromium (chromiumLaunchOptions: local-only flags, one merged --disable-features) in a
 * persistent context, so IndexedDB is on disk. Unlike e2e's launchProfileBrowser, Playwright's
 * own signal handlers are off: on SIGINT they close the browser and exit(130) at once, before
 * the benchmark's cleanup has stopped the signaling server; main.ts closes everything itself.
 */
export interface BenchBrowser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

export async function launchBenchBrowser(): Promise<BenchBrowser> {
  const profileDirectory = mkdtempSync(join(tmpdir(), 'tabkeeper-bench-profile-'));
  const removeProfile = () => rmSync(profileDirectory, { recursive: true, force: true });
  let context: BrowserContext;
  try {
    const options = await chromiumLaunchOptions();
    context = await chromium.launchPersistentContext(profileDirectory, { ...options, handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false });
  } catch (error) {
    removeProfile();
    throw error;
  }
  return {
    context,
    async close() {
      await context.close().catch(() => undefined);
      removeProfile();
    },
  };
}
