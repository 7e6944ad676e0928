import { expect, type BrowserContext, type CDPSession, type Page } from '@playwright/test';
import type { GatewayOp, GatewayResult } from '../protocol/gateway-ops.ts';
import { parseLine } from '../protocol/command-parse.ts';
import { withTimeout } from '../lib/deadline.ts';
import type { PageGlobals, TabStatus } from './contract.ts';

/** Generous bounds: a noisy 2-core machine, several Chromium renderers, ZAB timeouts. */
export const BOOT_TIMEOUT_MS = 30_000;
export const ELECTION_TIMEOUT_MS = 45_000;
export const RUN_TIMEOUT_MS = 30_000;
const POLL_INTERVALS_MS = [100, 200, 300, 500];

/** One CLI line (`create /a hello`) as the gateway op the page's `run` takes. */
export function op(line: string): GatewayOp {
  const parsed = parseLine(line, 1);
  if (parsed.kind !== 'op') throw new Error(`not an operation: ${JSON.stringify(line)}`);
  return parsed.op;
}

export interface TabAddress {
  readonly serverUrl: string;
  readonly cluster: string;
  readonly size: number;
  /** Extra query parameters (for example a small snapshot interval). */
  readonly query?: Readonly<Record<string, string>>;
}

export function tabUrl(address: TabAddress): string {
  const url = new URL('/', address.serverUrl);
  url.searchParams.set('cluster', address.cluster);
  url.searchParams.set('size', String(address.size));
  for (const [key, value] of Object.entries(address.query ?? {})) url.searchParams.set(key, value);
  return url.toString();
}

/**
 * One browser tab running a TabKeeper server, driven through what its user sees (the
 * data-testid elements and the op form) and the page contract (`window.tabkeeper`).
 */
export class Tab {
  /** The seat the tab held when last seen (for names in failure messages). */
  seat: number | null = null;
  private debugger: CDPSession | null = null;

  constructor(
    readonly page: Page,
    readonly address: TabAddress,
  ) {}

  /** Opens a new tab of `context` on the cluster and waits until it holds a seat. */
  static async open(context: BrowserContext, address: TabAddress): Promise<Tab> {
    const blank = context.pages().find((page) => page.url() === 'about:blank' && !claimed.has(page));
    const page = blank ?? (await context.newPage());
    claimed.add(page);
    const tab = new Tab(page, address);
    await tab.goto();
    return tab;
  }

  get name(): string {
    return `tab at seat ${this.seat ?? '?'}`;
  }

  /** Navigates this tab to its cluster URL (first load, or coming back after leaving). */
  async goto(): Promise<TabStatus> {
    await this.page.goto(tabUrl(this.address));
    return this.waitForStatus('holds a seat', (status) => {
      expect(status.error, 'status().error').toBeNull();
      expect(status.seat, 'status().seat').not.toBeNull();
    }, BOOT_TIMEOUT_MS);
  }

  /** `window.tabkeeper.status()`; fails if the contract object is missing. */
  async status(): Promise<TabStatus> {
    const status = await this.page.evaluate(() => {
      const keeper = (globalThis as PageGlobals).tabkeeper;
      return keeper === undefined ? null : keeper.status();
    });
    if (status === null) throw new Error(`${this.name}: window.tabkeeper is not defined`);
    this.seat = status.seat ?? this.seat;
    return status;
  }

  /**
   * Polls status() until `check` passes (it asserts with expect); returns the status that
   * passed. On timeout the error names the check, the tab and the last status seen.
   */
  async waitForStatus(what: string, check: (status: TabStatus) => void, timeoutMs = ELECTION_TIMEOUT_MS): Promise<TabStatus> {
    let last: TabStatus | null = null;
    try {
      await expect(async () => {
        last = await this.status();
        check(last);
      }).toPass({ timeout: timeoutMs, intervals: POLL_INTERVALS_MS });
    } catch (error) {
      throw new Error(`${this.name}: "${what}" not reached within ${timeoutMs} ms; last status(): ${JSON.stringify(last)}\n${(error as Error).message}`);
    }
    return last as unknown as TabStatus;
  }

  /** `window.tabkeeper.run(op)`, bounded so that a hung op fails the test with its name. */
  async run(operation: GatewayOp | string, timeoutMs = RUN_TIMEOUT_MS): Promise<GatewayResult> {
    const gatewayOp = typeof operation === 'string' ? op(operation) : operation;
    const running = this.page.evaluate((argument) => {
      const keeper = (globalThis as PageGlobals).tabkeeper;
      if (keeper === undefined) throw new Error('window.tabkeeper is not defined');
      return keeper.run(argument);
    }, gatewayOp);
    return withTimeout(running, timeoutMs, () => {
      throw new Error(`${this.name}: run(${JSON.stringify(gatewayOp)}) did not settle within ${timeoutMs} ms`);
    });
  }

  /** Runs an op that must succeed; returns its value. */
  async runOk(operation: GatewayOp | string): Promise<unknown> {
    const result = await this.run(operation);
    if (!result.ok) throw new Error(`${this.name}: ${typeof operation === 'string' ? operation : JSON.stringify(operation)} failed with ${result.error}`);
    return result.value;
  }

  /** A read that reflects every write committed before it began: sync, then get. */
  async readSynced(path: string): Promise<GatewayResult> {
    await this.runOk({ op: 'sync', path });
    return this.run({ op: 'get', path });
  }

  /** Types a CLI line into the op form, presses Run and waits for the result to show `expected`. */
  async runInForm(line: string, expected: string | RegExp): Promise<void> {
    await this.page.getByTestId('op-input').fill(line);
    await this.page.getByRole('button', { name: 'Run' }).click();
    await expect(this.page.getByTestId('op-result'), `${this.name}: op-result after "${line}"`).toContainText(expected, { timeout: RUN_TIMEOUT_MS });
  }

  history(): Promise<unknown[]> {
    return this.page.evaluate(() => {
      const keeper = (globalThis as PageGlobals).tabkeeper;
      if (keeper === undefined) throw new Error('window.tabkeeper is not defined');
      return keeper.history();
    });
  }

  /** `window.tabkeeper.logs()`: the tab's own log lines as logged, oldest first. */
  logs(): Promise<string[]> {
    return this.page.evaluate(() => {
      const keeper = (globalThis as PageGlobals).tabkeeper;
      if (keeper === undefined) throw new Error('window.tabkeeper is not defined');
      return keeper.logs();
    });
  }

  /** Closes the tab as a user does, without beforeunload prompts (pagehide still runs). */
  async close(): Promise<void> {
    await this.page.close({ runBeforeUnload: false });
  }

  /**
   * Freezes the page's JavaScript in the debugger: no ticks, no heartbeats, no replies, while
   * its signaling socket and DataChannels stay open. `thaw` resumes it.
   */
  async freeze(): Promise<void> {
    this.debugger ??= await this.page.context().newCDPSession(this.page);
    await this.debugger.send('Debugger.enable');
    const paused = new Promise<void>((resolve) => this.debugger!.once('Debugger.paused', () => resolve()));
    await this.debugger.send('Debugger.pause');
    await paused;
  }

  async thaw(): Promise<void> {
    if (this.debugger === null) throw new Error(`${this.name}: thaw without freeze`);
    await this.debugger.send('Debugger.resume');
    await this.debugger.send('Debugger.disable');
  }

  /**
   * Kills the tab's renderer with no clean close (CDP Page.crash: no pagehide, no channel
   * close), then closes the dead tab. The crash event is awaited, not the CDP reply, which
   * never comes from a crashed target.
   */
  async crash(): Promise<void> {
    const session = await this.page.context().newCDPSession(this.page);
    const crashed = new Promise<void>((resolve) => this.page.once('crash', () => resolve()));
    void session.send('Page.crash').catch(() => undefined);
    await crashed;
    await this.page.close({ runBeforeUnload: false }).catch(() => undefined);
  }
}

/** Blank pages already handed to a Tab (a persistent context starts with one). */
const claimed = new WeakSet<Page>();
