import { defineConfig } from '@playwright/test';

/**
 * `npm run e2e`: real tabs in Debian's headless Chromium (see chromium.ts for how it is
 * launched; Playwright's own browser downloads are never used). One worker: each test already
 * runs three to five tabs on a 2-core machine, and ZAB's timeouts must not starve.
 */
export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  globalSetup: './global-setup.ts',
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 150_000,
  globalTimeout: 20 * 60_000,
  expect: { timeout: 20_000 },
  reporter: [['list']],
  outputDir: '../node_modules/.cache/tabkeeper-e2e-results',
});
