import { expectData, openTabs, waitForEnsemble, writeMany } from './cluster.ts';
import { expect, test } from './fixtures.ts';
import { ELECTION_TIMEOUT_MS, Tab } from './tab.ts';

// Goal (issue 9, item 1): a seat whose storage is new to the ensemble never counts toward a
// quorum until it is synced and re-admitted (core/seats.ts). Method: a second browser profile
// (its own, empty IndexedDB) takes a freed seat while a committed write exists; and a cluster
// whose seats 2 and 3 come back on blank storage refuses to serve and says why.

test('a second profile takes a freed seat: it shows recovering, never loses the committed write, and serves once re-admitted', async ({ profile, launchBrowser, address }) => {
  const tabs = await openTabs(profile, address(3), 3);
  await waitForEnsemble(tabs);
  const committed = await writeMany(tabs[0]!, 'x', 2);
  const [first, second, third] = tabs as [Tab, Tab, Tab];
  await first.close();
  await second.close();

  // Another browser profile takes the lowest free seat with a blank IndexedDB.
  const other = await Tab.open(await launchBrowser(), address(3));
  const booted = await other.waitForStatus('the newcomer runs', (status) => expect(status.state, 'state').not.toBe('STARTING'));
  expect(booted.restored, 'the other profile has no storage for this seat').toBeNull();
  await other.waitForStatus('recovering', (status) => {
    expect(status.admission?.state, 'admission').toBe('recovering');
    expect(status.serving, 'serving').toBe(false);
  }, ELECTION_TIMEOUT_MS);
  await expect(other.page.getByTestId('admission')).toHaveText('recovering');
  await expect(other.page.getByTestId('admission-reason')).toContainText('unknown to the ensemble');
  // Seat 3 alone with the newcomer is no quorum: the committed write cannot be forgotten.
  expect((await third.status()).serving, 'the remaining seat serves nobody with the newcomer').toBe(false);

  // The first profile comes back on the other freed seat, with its storage: a quorum of recorded seats.
  const returning = await Tab.open(profile, address(3));
  await waitForEnsemble([returning, third, other]);
  await other.waitForStatus('re-admitted', (status) => {
    expect(status.admission?.state, 'admission').toBe('member');
    expect(status.serving, 'serving').toBe(true);
  }, ELECTION_TIMEOUT_MS);
  await expect(other.page.getByTestId('admission')).toHaveCount(0);
  for (const tab of [returning, third, other]) await expectData(tab, committed);
});

test('two of three seats back on blank storage: the cluster refuses to serve and says why', async ({ profile, launchBrowser, address }) => {
  const tabs = await openTabs(profile, address(3), 3);
  await waitForEnsemble(tabs);
  await writeMany(tabs[0]!, 'kept', 1);
  for (const tab of tabs) await tab.close();

  const keeper = await Tab.open(profile, address(3));
  const keeperBoot = await keeper.waitForStatus('seat 1 runs on its own storage', (status) => expect(status.restored, 'restored').not.toBeNull());
  expect(keeperBoot.seat, 'seat').toBe(1);
  const blank = [await Tab.open(await launchBrowser(), address(3)), await Tab.open(await launchBrowser(), address(3))];
  for (const tab of [keeper, ...blank]) {
    await tab.waitForStatus('refusing', (status) => {
      expect(status.admission?.state, `${tab.name} admission`).toBe('refusing');
      expect(status.admission?.lost, `${tab.name} lost seats`).toEqual([2, 3]);
      expect(status.serving, `${tab.name} serving`).toBe(false);
    }, ELECTION_TIMEOUT_MS);
    await expect(tab.page.getByTestId('admission-reason')).toContainText('a quorum lost its storage');
    await expect(tab.page.getByTestId('force-new-cluster')).toBeVisible();
  }
});
