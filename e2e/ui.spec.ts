import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { openTabs, waitForEnsemble } from './cluster.ts';
import { expect, test } from './fixtures.ts';
import { CATEGORIES } from '../client-app/ui/model/kinds.ts';
import { REPOSITORY_ROOT } from './processes.ts';
import { ELECTION_TIMEOUT_MS, RUN_TIMEOUT_MS, type Tab } from './tab.ts';

// Goal: what a person sees in the app (client-app/ui/) follows the protocol: state badges,
// the cluster as each tab knows it, a write travelling as proposal / acks / commit, the tree
// and the log of every tab, a closed tab and a cut link. Method: three real tabs, asserting
// only on roles, labels and test ids (never window.tabkeeper), and saving the screenshots
// the README shows.

const SCREENSHOTS = join(REPOSITORY_ROOT, 'docs', 'screenshots');

function seatRow(page: Page, seat: number): Locator {
  return page.getByTestId(`seat-row-${seat}`);
}

async function expectBadges(tabs: readonly Tab[], leaderSeat: number): Promise<void> {
  for (const tab of tabs) {
    const expected = tab.seat === leaderSeat ? 'LEADING' : 'FOLLOWING';
    await expect(tab.page.getByTestId('state'), `header badge of seat ${tab.seat}`).toHaveText(expected);
    await expect(seatRow(tab.page, leaderSeat).getByText('★ leader'), `seat ${tab.seat} marks the leader`).toBeVisible();
    await expect(tab.page.getByTestId(`seat-state-${leaderSeat}`), `seat ${tab.seat} sees the leader's heartbeat status`).toHaveText('LEADING');
  }
}

test('three tabs: state badges, a write in every tree and log, its proposal, acks and commit in the feed', async ({ profile, address }) => {
  const tabs = await openTabs(profile, address(3), 3);
  for (const tab of tabs) await tab.page.setViewportSize({ width: 1280, height: 900 });
  const { leader, followers } = await waitForEnsemble(tabs);
  await expectBadges(tabs, leader.seat!);
  // The leader hears every follower's PONG, whose status says FOLLOWING.
  for (const follower of followers) await expect(leader.page.getByTestId(`seat-state-${follower.seat}`)).toHaveText('FOLLOWING');

  // A write typed into a follower's command bar.
  const writer = followers[0]!;
  await writer.runInForm('create /ui-demo "hello from the command bar"', '/ui-demo');
  for (const tab of tabs) {
    const node = tab.page.locator('[data-testid="tree"] [data-path="/ui-demo"]');
    await expect(node, `seat ${tab.seat}'s tree shows /ui-demo`).toBeVisible({ timeout: RUN_TIMEOUT_MS });
    await expect(node).toContainText('hello from the command bar');
    const row = tab.page.getByTestId('log-row').filter({ hasText: 'create /ui-demo' });
    await expect(row, `seat ${tab.seat}'s log has the create`).toHaveCount(1, { timeout: RUN_TIMEOUT_MS });
    await expect(row).toContainText('committed');
  }
  // Equal trees show equal digests (kept up to date per txn, never by stringifying the tree).
  await expect
    .poll(async () => [...new Set(await Promise.all(tabs.map((tab) => tab.page.getByTestId('tree-digest').textContent())))], { message: 'one tree digest in every tab' })
    .toEqual([expect.stringMatching(/^[0-9a-f]{16}$/)]);
  // The tree from the keyboard: Down from the root reaches /ui-demo, Enter shows its data and stat.
  const tree = writer.page.getByTestId('tree');
  await tree.getByRole('button', { name: '/', exact: true }).focus();
  await expect(async () => {
    await writer.page.keyboard.press('ArrowDown');
    await expect(tree.locator('button:focus')).toHaveAccessibleName('ui-demo', { timeout: 500 });
  }).toPass({ timeout: 10_000 });
  await writer.page.keyboard.press('Enter');
  await expect(writer.page.getByTestId('znode-detail')).toContainText('hello from the command bar');
  await expect(writer.page.getByTestId('znode-detail')).toContainText('version');
  const zxid = await leader.page.getByTestId('log-row').filter({ hasText: 'create /ui-demo' }).getAttribute('data-zxid');
  expect(zxid).toMatch(/^\d+:\d+$/);
  const epoch = zxid!.split(':')[0];

  // In the leader's feed: the request from the writer, a proposal to each follower, their acks, the commits.
  const feed = leader.page.getByTestId('feed');
  const self = leader.seat!;
  await expect(feed.getByRole('button', { name: new RegExp(`${writer.seat}→${self}.*transaction_request`) }).first()).toBeVisible();
  for (const follower of followers) {
    await expect(feed.getByRole('button', { name: `${self}→${follower.seat} transaction_proposal e${epoch} ${zxid}` })).toBeVisible();
    await expect(feed.getByRole('button', { name: `${follower.seat}→${self} transaction_acknowledge e${epoch} ${zxid}` })).toBeVisible();
    await expect(feed.getByRole('button', { name: `${self}→${follower.seat} transaction_commit e${epoch} ${zxid}` })).toBeVisible();
  }
  // The full message on click.
  await feed.getByRole('button', { name: `${self}→${followers[0]!.seat} transaction_proposal e${epoch} ${zxid}` }).click();
  await expect(leader.page.getByTestId('feed-detail')).toContainText('"path": "/ui-demo"');
  await expectFeedControls(leader, followers[0]!.seat!, epoch!, zxid!);

  mkdirSync(SCREENSHOTS, { recursive: true });
  for (const tab of tabs) await tab.page.evaluate(() => (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0)); // the click above scrolled the leader's page
  const shots = await Promise.all(tabs.map((tab) => tab.page.screenshot({ fullPage: false })));
  await composeSideBySide(profile.pages()[0]!.context().newPage(), shots, join(SCREENSHOTS, 'three-tabs-1280.png'));
  await leader.page.screenshot({ path: join(SCREENSHOTS, 'leader-1280.png'), fullPage: true });
  await leader.page.emulateMedia({ colorScheme: 'dark', reducedMotion: 'reduce' });
  await leader.page.screenshot({ path: join(SCREENSHOTS, 'leader-dark-1280.png') });
  await leader.page.emulateMedia({ colorScheme: null, reducedMotion: null });
  await writer.page.setViewportSize({ width: 390, height: 844 });
  await writer.page.screenshot({ path: join(SCREENSHOTS, 'follower-390.png'), fullPage: true });
});

test('a closed tab shows as gone, then the new leader', async ({ profile, address }) => {
  const tabs = await openTabs(profile, address(3), 3);
  const { leader } = await waitForEnsemble(tabs);
  const gone = leader.seat!;
  const survivors = tabs.filter((tab) => tab !== leader);
  await leader.close();
  for (const tab of survivors) await expect(tab.page.getByTestId(`seat-link-${gone}`), `seat ${tab.seat} sees seat ${gone} gone`).toHaveText('gone', { timeout: ELECTION_TIMEOUT_MS });
  const after = await waitForEnsemble(survivors);
  await expectBadges(survivors, after.leader.seat!);
  for (const tab of survivors) await expect(seatRow(tab.page, gone).getByText('★ leader')).toHaveCount(0);
});

test('cutting the link to the leader with the fault controls: shown as cut, the follower goes LOOKING, restore heals', async ({ profile, address }) => {
  const tabs = await openTabs(profile, address(3), 3);
  const { leader, followers } = await waitForEnsemble(tabs);
  const follower = followers[0]!;
  const page = follower.page;
  await page.getByRole('button', { name: `Cut link to seat ${leader.seat}` }).click();
  await expect(page.getByTestId(`seat-link-${leader.seat}`)).toHaveText('cut');
  await expect(page.getByTestId('state'), 'cut from its leader, the follower looks for one').toHaveText('LOOKING', { timeout: ELECTION_TIMEOUT_MS });
  await expect(page.getByTestId('quorum-status')).toContainText('no quorum');
  // The rest of the cluster carries on without it.
  await expect(leader.page.getByTestId('state')).toHaveText('LEADING');

  await page.getByRole('button', { name: `Restore link to seat ${leader.seat}` }).click();
  await expect(page.getByTestId(`seat-link-${leader.seat}`)).toHaveText('open');
  await waitForEnsemble(tabs);
  await expect(page.getByTestId('state')).toHaveText('FOLLOWING');
});

/**
 * The feed from the keyboard (Up / Down move the selection), filtered by kind, paused (a write's
 * proposal is kept but not shown until Resume), and the page's regions holding still while
 * writes stream.
 */
async function expectFeedControls(leader: Tab, follower: number, epoch: string, zxid: string): Promise<void> {
  const page = leader.page;
  const feed = page.getByTestId('feed');
  const self = leader.seat!;
  const clicked = new RegExp(`${self}→${follower} transaction_proposal e${epoch} ${zxid}$`);
  await page.keyboard.press('ArrowDown');
  await expect(feed.locator('button:focus'), 'Down selects the next older message').toHaveAttribute('aria-pressed', 'true');
  await expect(feed.locator('button:focus')).not.toHaveAccessibleName(clicked);
  await page.keyboard.press('ArrowUp');
  await expect(feed.locator('button:focus'), 'Up comes back').toHaveAccessibleName(clicked);

  const kinds = page.getByRole('group', { name: 'Show message kinds' });
  await kinds.getByRole('button', { name: 'proposals' }).click();
  await expect(feed.getByRole('button', { name: /transaction_proposal/ }), 'proposals filtered out').toHaveCount(0);
  await expect(feed.getByRole('button', { name: /transaction_commit/ }).first()).toBeVisible();
  await kinds.getByRole('button', { name: 'proposals' }).click();
  await expect(feed.getByRole('button', { name: clicked })).toBeVisible();

  await page.getByRole('button', { name: 'Pause' }).click();
  await leader.runInForm('create /while-paused "x"', '/while-paused');
  const pausedZxid = await page.getByTestId('log-row').filter({ hasText: 'create /while-paused' }).getAttribute('data-zxid');
  const proposal = feed.getByRole('button', { name: new RegExp(`transaction_proposal e\\d+ ${pausedZxid}$`) });
  await expect(page.getByRole('heading', { name: /Messages/ })).toContainText(/paused, [1-9]\d* new/);
  await expect(proposal, 'a paused feed holds still').toHaveCount(0);
  await page.getByRole('button', { name: 'Resume' }).click();
  await expect(proposal.first(), 'resumed, the kept messages show').toBeVisible();

  // Writes stream (sequential setData from the page's contract, as a script would); every region
  // of the page keeps its place and size.
  const boxes = () => page.getByRole('region').evaluateAll((regions) => regions.map((region) => {
    const box = region.getBoundingClientRect();
    return `${region.getAttribute('aria-label') ?? region.getAttribute('aria-labelledby')} ${Math.round(box.x)},${Math.round(box.y)} ${Math.round(box.width)}x${Math.round(box.height)}`;
  }));
  await page.evaluate(() => (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0));
  const before = await boxes();
  expect(before.length, 'the page has its regions').toBeGreaterThanOrEqual(4);
  const during = await page.evaluate(async () => {
    const keeper = (globalThis as unknown as { tabkeeper: { run(op: unknown): Promise<{ ok: boolean }> } }).tabkeeper;
    for (let index = 0; index < 60; index++) await keeper.run({ op: 'set', path: '/ui-demo', data: `streamed ${index}`, version: -1 });
    return true;
  });
  expect(during).toBe(true);
  await expect(page.getByTestId('tree').locator('[data-path="/ui-demo"]')).toContainText('streamed 59');
  expect(await boxes(), 'regions before and after 60 writes').toEqual(before);

  // Under a stream of pipelined writes the ring holds at most one dot per link and kind of
  // message (each dot is a layer the page's main thread, the protocol's too, lays out every
  // frame), and a dot that arrived leaves the page.
  const maxDots = page.evaluate(async () => {
    const page = globalThis as unknown as { tabkeeper: { run(op: unknown): Promise<{ ok: boolean }> }; document: { querySelectorAll(selector: string): { length: number } } };
    const keeper = page.tabkeeper;
    const dots = () => page.document.querySelectorAll('[data-testid="pulse"]').length;
    let most = 0;
    let left = 1500;
    const lane = async () => {
      while (left-- > 0) {
        await keeper.run({ op: 'set', path: '/ui-demo', data: `piped ${left}`, version: -1 });
        most = Math.max(most, dots());
      }
    };
    await Promise.all(Array.from({ length: 32 }, lane));
    return most;
  });
  // The leader's own links in a three-seat cluster, both ways; heartbeats are never drawn.
  expect(await maxDots, 'dots on the ring at once while writes stream').toBeLessThanOrEqual(4 * (CATEGORIES.length - 1));
  await expect(page.getByTestId('pulse'), 'every dot leaves once it arrived').toHaveCount(0, { timeout: 10_000 });
}

/** Puts screenshots side by side in one image (a blank page showing them as <img>). */
async function composeSideBySide(pageReady: Promise<Page>, shots: readonly Buffer[], path: string): Promise<void> {
  const page = await pageReady;
  // Each 1280 x 900 tab shown at 60 %, so the three fit one readable image.
  const width = 768 * shots.length + 16 * (shots.length + 1);
  await page.setViewportSize({ width, height: 572 });
  const images = shots.map((shot) => `<img src="data:image/png;base64,${shot.toString('base64')}" style="width:768px;height:540px;border:1px solid #888">`).join('');
  await page.setContent(`<body style="margin:0;padding:16px;display:flex;gap:16px;background:#444">${images}</body>`);
  await page.screenshot({ path });
  await page.close();
}
