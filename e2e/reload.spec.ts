import { expectData, openTabs, waitCaughtUp, waitForEnsemble, waitForLocalData, writeMany } from './cluster.ts';
import { compareZxid } from './contract.ts';
import { expect, test } from './fixtures.ts';
import { ELECTION_TIMEOUT_MS, type Tab } from './tab.ts';

// Goal (issue 6, case 3): a follower's tab that reloads keeps its seat, rebuilds itself from
// IndexedDB (status().restored: what storage held at boot, before any sync), and catches up on
// the writes made while it was away: by DIFF when the leader's log still reaches back, by SNAP
// after a compaction. Method: one browser profile (IndexedDB on disk); the follower reloads,
// then leaves (about:blank) while the others write, and comes back to the same tab.

/**
 * Core's snapshotEveryTxns and retainLogTxns, made small through the URL so that 60 writes
 * compact the log past a follower that is away (the defaults, 1000 and 500, would need
 * thousands of writes).
 */
const SMALL_SNAPSHOTS = { snapshotEvery: '20', retainLog: '10' } as const;

/** Leaves the cluster page (as closing it would) and returns once the others have noticed. */
async function leave(tab: Tab, others: readonly Tab[]): Promise<void> {
  const seat = tab.seat;
  await tab.page.goto('about:blank');
  for (const other of others) {
    await other.waitForStatus(`seat ${seat} gone from peers`, (status) => expect(status.peers, 'peers').not.toContain(seat), ELECTION_TIMEOUT_MS);
  }
}

/** Comes back in the same tab; checks the seat and what IndexedDB restored before any sync. */
async function comeBack(tab: Tab, expectedSeat: number, hadLastZxid: string): Promise<void> {
  await tab.goto();
  // restored is read once storage is open, which may be a moment after the seat is claimed.
  const booted = await tab.waitForStatus('storage opened', (status) => expect(status.state, 'state').not.toBe('STARTING'), ELECTION_TIMEOUT_MS);
  expect(booted.seat, 'the same seat after coming back').toBe(expectedSeat);
  expect(booted.restored, 'status().restored after a reload').not.toBeNull();
  expect(booted.restored!.lastZxid, 'restored.lastZxid: the log IndexedDB held').toBe(hadLastZxid);
  expect(compareZxid(booted.restored!.committedZxid, booted.restored!.lastZxid), 'restored.committedZxid <= restored.lastZxid').toBeLessThanOrEqual(0);
}

/** The leader's "Recent log" shows how it synced the returning follower. */
async function expectSyncShown(leader: Tab, seat: number, followerZxid: string, mode: 'DIFF' | 'SNAP'): Promise<void> {
  const line = new RegExp(`syncs ${seat} \\(last ${followerZxid}\\) by ${mode}`);
  await expect(leader.page.getByTestId('log'), `the leader's log says how it synced seat ${seat}`).toContainText(line);
}

test('a reloaded follower keeps its seat, rebuilds from IndexedDB and catches up by DIFF', async ({ profile, address }) => {
  const tabs = await openTabs(profile, address(3), 3);
  const { leader, followers } = await waitForEnsemble(tabs);
  const follower = followers[0]!;
  const seat = follower.seat!;
  const written = await writeMany(leader, 'first', 5);
  const had = await waitCaughtUp(follower, leader);

  await follower.page.reload();
  await comeBack(follower, seat, had.lastZxid);
  await expect(follower.page.getByTestId('seat')).toContainText(String(seat));
  await waitForEnsemble(tabs);
  for (const [path, data] of Object.entries(written)) await waitForLocalData(follower, path, data);

  const beforeLeaving = await waitCaughtUp(follower, leader);
  const others = tabs.filter((tab) => tab !== follower);
  await leave(follower, others);
  Object.assign(written, await writeMany(leader, 'while-away', 10));
  await comeBack(follower, seat, beforeLeaving.lastZxid);
  await waitCaughtUp(follower, leader);
  for (const [path, data] of Object.entries(written)) await waitForLocalData(follower, path, data);
  await expectSyncShown(leader, seat, beforeLeaving.lastZxid, 'DIFF');
  await expectData(follower, written);
  // The returning follower's own log view says how the entries came.
  await expect(follower.page.getByTestId('log-row').filter({ hasText: 'create /while-away-0009' }), 'an entry that came by DIFF').toContainText('DIFF');
  await expect(follower.page.getByRole('list', { name: 'Sync history' })).toContainText(`DIFF from ${leader.seat}`);
});

test('after many writes and a compaction a returning follower catches up by SNAP', async ({ profile, address }) => {
  const tabs = await openTabs(profile, address(3, SMALL_SNAPSHOTS), 3);
  const { leader, followers } = await waitForEnsemble(tabs);
  const follower = followers[0]!;
  const seat = follower.seat!;
  const written = await writeMany(leader, 'early', 5);
  const had = await waitCaughtUp(follower, leader);

  await leave(follower, tabs.filter((tab) => tab !== follower));
  Object.assign(written, await writeMany(leader, 'compacted', 60));
  await comeBack(follower, seat, had.lastZxid);
  await waitCaughtUp(follower, leader);
  await expectSyncShown(leader, seat, had.lastZxid, 'SNAP');
  // Its log view: the snapshot that replaced its state, and the point it compacted through.
  await expect(follower.page.getByRole('list', { name: 'Sync history' })).toContainText(`SNAP from ${leader.seat}`);
  await expect(follower.page.getByTestId('log-snapshot')).not.toHaveText('0:0');
  for (const [path, data] of Object.entries(written)) await waitForLocalData(follower, path, data);
  Object.assign(written, await writeMany(follower, 'after-snap', 3));
  await expectData(leader, written);
});
