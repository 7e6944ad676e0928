import { expectData, openTabs, waitForEnsemble, writeMany } from './cluster.ts';
import { expect, note, test } from './fixtures.ts';
import { ELECTION_TIMEOUT_MS, Tab } from './tab.ts';

// Goal (issue 6, case 4): one tab of three is no quorum: it says so and refuses writes; a tab
// reopened on a closed seat (same browser profile, so it finds that seat's IndexedDB) restores
// service with every committed write. Method: three tabs, writes, close two, try a write in
// the last one, reopen one.

test('with two of three tabs closed the last refuses writes, and reopening one restores every committed write', async ({ profile, address }) => {
  const tabs = await openTabs(profile, address(3), 3);
  await waitForEnsemble(tabs);
  const committed: Record<string, string> = {};
  for (const tab of tabs) Object.assign(committed, await writeMany(tab, `seat-${tab.seat}`, 2));

  const [first, second, last] = tabs as [Tab, Tab, Tab];
  await first.close();
  await second.close();
  await last.waitForStatus('no longer serving', (status) => {
    expect(status.serving, 'serving').toBe(false);
    expect(status.state, 'state').not.toBe('LEADING');
    expect(status.state, 'state').not.toBe('FOLLOWING');
  }, ELECTION_TIMEOUT_MS);
  await expect(last.page.getByTestId('quorum-status')).toContainText('no quorum');
  const refusedAt = Date.now();
  const refused = await last.run({ op: 'create', path: '/refused', data: 'x', ephemeral: false, sequential: false });
  expect(refused.ok, 'run(create) without a quorum').toBe(false);
  note('write without a quorum', `${refused.ok ? 'ok' : refused.error} after ${Date.now() - refusedAt} ms`);

  const reopened = await Tab.open(profile, address(3));
  const booted = await reopened.waitForStatus('storage opened', (status) => expect(status.state, 'state').not.toBe('STARTING'));
  expect(booted.seat, 'the reopened tab takes the lowest free seat').toBe(1);
  expect(booted.restored, "the reopened seat found its IndexedDB (same profile)").not.toBeNull();
  await waitForEnsemble([reopened, last]);
  for (const tab of [reopened, last]) await expect(tab.page.getByTestId('quorum-status')).not.toContainText('no quorum');
  for (const tab of [reopened, last]) await expectData(tab, committed);
  // Even a ConnectionLoss (outcome unknown in general) cannot have committed here: no leader
  // existed while it ran, and a client never resends a failed op.
  expect(await last.run({ op: 'exists', path: '/refused' }), 'a write refused without a quorum left nothing').toEqual({ ok: true, value: null });
  Object.assign(committed, await writeMany(last, 'restored', 2));
  await expectData(reopened, committed);
});
