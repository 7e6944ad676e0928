import { expectData, openTabs, waitForEnsemble, waitForLocalData } from './cluster.ts';
import { compareZxid } from './contract.ts';
import { expect, test } from './fixtures.ts';

// Goal (issue 6, case 1): three tabs of one cluster form an ensemble with exactly one leader,
// and a write typed into any tab is seen in all three. Method: open three tabs in seat order,
// wait for LEADING/FOLLOWING to settle, then write through each tab's op form and read in all.

test('three tabs form an ensemble with one leader and a write in any tab shows in all three', async ({ profile, address }) => {
  const tabs = await openTabs(profile, address(3), 3);
  const { leader } = await waitForEnsemble(tabs);
  for (const tab of tabs) {
    const { page } = tab;
    await expect(page.getByTestId('seat')).toContainText(String(tab.seat));
    await expect(page.getByTestId('state')).toContainText(tab === leader ? 'LEADING' : 'FOLLOWING');
    await expect(page.getByTestId('leader')).toContainText(String(leader.seat));
    await expect(page.getByTestId('quorum-status')).not.toContainText('no quorum');
  }

  const written: Record<string, string> = {};
  for (const writer of tabs) {
    const path = `/from-seat-${writer.seat}`;
    const data = `written-in-tab-${writer.seat}`;
    await writer.runInForm(`create ${path} ${data}`, path);
    written[path] = data;
    // Every tab applies the commit on its own: a plain get, no sync, as its user would read.
    for (const reader of tabs) await waitForLocalData(reader, path, data);
  }
  for (const reader of tabs) await reader.runInForm(`get /from-seat-${leader.seat}`, `written-in-tab-${leader.seat}`);
  for (const reader of tabs) await expectData(reader, written);

  // All three hold the same committed history, and the zxids the page shows are the contract's.
  const statuses = await Promise.all(tabs.map((tab) => tab.status()));
  for (const status of statuses) {
    expect(status.committedZxid, `committedZxid of seat ${status.seat}`).toBe(statuses[0]!.committedZxid);
    expect(compareZxid(status.lastZxid, status.committedZxid), `lastZxid >= committedZxid at seat ${status.seat}`).toBeGreaterThanOrEqual(0);
    expect(status.peers.length, `peers of seat ${status.seat}`).toBe(2);
  }
  for (const [index, tab] of tabs.entries()) {
    await expect(tab.page.getByTestId('committed-zxid')).toContainText(statuses[index]!.committedZxid);
  }
});
