import { expect, type BrowserContext } from '@playwright/test';
import { compareZxid, type TabStatus } from './contract.ts';
import { ELECTION_TIMEOUT_MS, RUN_TIMEOUT_MS, Tab, type TabAddress } from './tab.ts';

/**
 * Helpers over several tabs of one cluster: open them in seat order, wait for an established
 * ensemble, and check what each tab holds.
 */

/** Opens `count` tabs one after another, so that the n-th gets seat n (the lowest free seat). */
export async function openTabs(context: BrowserContext, address: TabAddress, count: number): Promise<Tab[]> {
  const tabs: Tab[] = [];
  for (let index = 0; index < count; index++) {
    const tab = await Tab.open(context, address);
    const status = await tab.status();
    expect(status.seat, `seat of the tab opened ${index + 1}th`).toBe(index + 1);
    tabs.push(tab);
  }
  return tabs;
}

export interface Ensemble {
  readonly leader: Tab;
  readonly followers: Tab[];
  readonly epoch: number;
}

/**
 * Waits until the voters among `tabs` agree: exactly one LEADING, every other voter FOLLOWING
 * it, all serving in one epoch. Observers (seat > size), if any, must be OBSERVING that leader.
 */
export async function waitForEnsemble(tabs: readonly Tab[], timeoutMs = ELECTION_TIMEOUT_MS): Promise<Ensemble> {
  let statuses: TabStatus[] = [];
  try {
    await expect(async () => {
      statuses = await Promise.all(tabs.map((tab) => tab.status()));
      const voters = statuses.filter((status) => status.seat !== null && status.seat <= status.size);
      const leaders = voters.filter((status) => status.state === 'LEADING');
      expect(leaders.map((status) => status.seat), 'seats in state LEADING').toHaveLength(1);
      const leader = leaders[0]!;
      for (const status of statuses) {
        const role = status.seat !== null && status.seat > status.size ? 'OBSERVING' : status === leader ? 'LEADING' : 'FOLLOWING';
        expect(status.state, `state of seat ${status.seat}`).toBe(role);
        expect(status.leader, `leader as seat ${status.seat} sees it`).toBe(leader.seat);
        expect(status.serving, `serving of seat ${status.seat}`).toBe(true);
        expect(status.currentEpoch, `currentEpoch of seat ${status.seat}`).toBe(leader.currentEpoch);
      }
    }).toPass({ timeout: timeoutMs, intervals: [100, 250, 500] });
  } catch (error) {
    const seen = statuses.map((status) => JSON.stringify(status)).join('\n  ');
    throw new Error(`no established ensemble within ${timeoutMs} ms; last statuses:\n  ${seen}\n${(error as Error).message}`);
  }
  const leaderIndex = statuses.findIndex((status) => status.state === 'LEADING');
  const leader = tabs[leaderIndex]!;
  const followers = tabs.filter((tab, index) => index !== leaderIndex && statuses[index]!.state === 'FOLLOWING');
  return { leader, followers, epoch: statuses[leaderIndex]!.currentEpoch };
}

/** Asserts, through the page contract, that `tab` reads `expected` data at every path (after a sync). */
export async function expectData(tab: Tab, expected: Readonly<Record<string, string>>): Promise<void> {
  for (const [path, data] of Object.entries(expected)) {
    const result = await tab.readSynced(path);
    expect(result, `${tab.name}: get ${path}`).toMatchObject({ ok: true, value: { data } });
  }
}

/** Waits until `tab` has applied the write at `path` without a sync: what its own user sees. */
export async function waitForLocalData(tab: Tab, path: string, data: string, timeoutMs = RUN_TIMEOUT_MS): Promise<void> {
  await expect(async () => {
    const result = await tab.run({ op: 'get', path });
    expect(result, `${tab.name}: plain get ${path}`).toMatchObject({ ok: true, value: { data } });
  }).toPass({ timeout: timeoutMs, intervals: [100, 250, 500] });
}

/** Writes `count` znodes `/<prefix>-<n>` through `tab`; returns path -> data. */
export async function writeMany(tab: Tab, prefix: string, count: number, from = 0): Promise<Record<string, string>> {
  const written: Record<string, string> = {};
  for (let index = from; index < from + count; index++) {
    const path = `/${prefix}-${String(index).padStart(4, '0')}`;
    const data = `${prefix} ${index}`;
    expect(await tab.run({ op: 'create', path, data, ephemeral: false, sequential: false }), `${tab.name}: create ${path}`).toMatchObject({
      ok: true,
      value: path,
    });
    written[path] = data;
  }
  return written;
}

/** Waits until `tab` follows and serves with everything `leader` has committed now, and returns its status. */
export async function waitCaughtUp(tab: Tab, leader: Tab): Promise<TabStatus> {
  const target = (await leader.status()).committedZxid;
  return tab.waitForStatus(`caught up to the leader's committed zxid ${target}`, (status) => {
    expect(status.state, 'state').toBe('FOLLOWING');
    expect(status.serving, 'serving').toBe(true);
    expect(compareZxid(status.committedZxid, target), `committedZxid ${status.committedZxid} vs ${target}`).toBeGreaterThanOrEqual(0);
  }, ELECTION_TIMEOUT_MS);
}
