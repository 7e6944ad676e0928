import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type LaunchOptions } from '@playwright/test';

/**
 * Debian's Chromium, launched as docs/BROWSER.md says: no traffic leaves loopback, and WebRTC
 * offers plain host candidates (no mDNS `.local` names, which never resolve here).
 *
 * Chromium honours only the last `--disable-features` switch and Playwright passes its own long
 * list, so ours is merged into Playwright's: the list Playwright would pass is read once from a
 * probe browser's chrome://version, dropped with `ignoreDefaultArgs` (an exact-string match) and
 * passed again with our feature added. The smoke test checks the real command line.
 */

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Features we disable on top of Playwright's list. */
export const EXTRA_DISABLED_FEATURES = ['WebRtcHideLocalIpsWithMdns'] as const;

/** Flags that keep a headless Chromium on loopback (docs/BROWSER.md, "Launching"). */
export const LOCAL_ONLY_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
] as const;

const DISABLE_FEATURES = '--disable-features=';

let defaultDisableFeaturesSwitch: Promise<string | null> | null = null;

/** The `--disable-features=…` switch Playwright passes by default, or null if it passes none. */
export function playwrightDisableFeaturesSwitch(): Promise<string | null> {
  defaultDisableFeaturesSwitch ??= probeDisableFeaturesSwitch();
  return defaultDisableFeaturesSwitch;
}

async function probeDisableFeaturesSwitch(): Promise<string | null> {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...LOCAL_ONLY_FLAGS] });
  try {
    const switches = await commandLineSwitches(await browser.newContext());
    const found = switches.filter((item) => item.startsWith(DISABLE_FEATURES));
    if (found.length > 1) throw new Error(`Playwright passed ${found.length} --disable-features switches: ${found.join(' ')}`);
    return found[0] ?? null;
  } finally {
    await browser.close();
  }
}

/** The browser's command line as chrome://version shows it, split into switches. */
export async function commandLineSwitches(context: BrowserContext): Promise<string[]> {
  const page = await context.newPage();
  try {
    await page.goto('chrome://version');
    const text = (await page.locator('#command_line').textContent()) ?? '';
    // Values may hold spaces (the resolver rules); a switch starts at " --".
    return text
      .trim()
      .split(/ (?=--)/)
      .map((item) => item.trim());
  } finally {
    await page.close();
  }
}

/** Launch options for Debian's Chromium: local-only flags and one merged --disable-features. */
export async function chromiumLaunchOptions(): Promise<LaunchOptions> {
  const playwrightSwitch = await playwrightDisableFeaturesSwitch();
  const playwrightFeatures = playwrightSwitch === null ? [] : playwrightSwitch.slice(DISABLE_FEATURES.length).split(',');
  const merged = [...new Set([...playwrightFeatures, ...EXTRA_DISABLED_FEATURES])].filter((name) => name !== '');
  return {
    executablePath: CHROMIUM_PATH,
    headless: true,
    ...(playwrightSwitch === null ? {} : { ignoreDefaultArgs: [playwrightSwitch] }),
    args: [...LOCAL_ONLY_FLAGS, `${DISABLE_FEATURES}${merged.join(',')}`],
  };
}

/** A browser with its own fresh profile on disk, so IndexedDB survives reloads and renderer crashes. */
export interface ProfileBrowser {
  readonly context: BrowserContext;
  readonly profileDirectory: string;
  close(): Promise<void>;
}

export async function launchProfileBrowser(): Promise<ProfileBrowser> {
  const profileDirectory = mkdtempSync(join(tmpdir(), 'tabkeeper-e2e-profile-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profileDirectory, await chromiumLaunchOptions());
  } catch (error) {
    rmSync(profileDirectory, { recursive: true, force: true });
    throw error;
  }
  let closed = false;
  return {
    context,
    profileDirectory,
    async close() {
      if (closed) return;
      closed = true;
      await context.close().catch(() => undefined);
      rmSync(profileDirectory, { recursive: true, force: true });
    },
  };
}
