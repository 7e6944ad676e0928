import { expectData, openTabs, waitForEnsemble, writeMany } from './cluster.ts';
import { expect, note, test } from './fixtures.ts';
import { ELECTION_TIMEOUT_MS, type Tab } from './tab.ts';

// Goal (issue 6, case 2): losing the leader's tab, cleanly or not, costs no committed write:
// the other two tabs elect a new leader in a later epoch and writes go on. Method: three tabs,
// committed writes through every tab, then the leader's tab is closed (pagehide runs), its
// renderer is crashed (nothing runs; the signaling server still sees its socket drop), or its
// page is frozen in the debugger (sockets and DataChannels stay open: only the protocol's
// heartbeat timeout can tell).

interface Loss {
  readonly name: string;
  lose(tab: Tab): Promise<void>;
  /** What happens to the lost tab once the others have a new leader. */
  after?(tab: Tab, leader: Tab): Promise<void>;
}

const losses: Loss[] = [
  { name: 'closing the leader tab', lose: (tab) => tab.close() },
  { name: 'crashing the leader renderer without a clean close', lose: (tab) => tab.crash() },
  {
    name: 'freezing the leader page so that only heartbeat timeouts notice',
    lose: (tab) => tab.freeze(),
    // Thawed, the old leader must find itself fenced out: it follows the new leader.
    async after(tab, leader) {
      await tab.thaw();
      await tab.waitForStatus('the thawed old leader follows the new one', (status) => {
        expect(status.state, 'state').toBe('FOLLOWING');
        expect(status.leader, 'leader').toBe(leader.seat);
        expect(status.serving, 'serving').toBe(true);
      }, ELECTION_TIMEOUT_MS);
    },
  },
];

for (const loss of losses) {
  test(`${loss.name}: the others elect a new leader, keep every committed write and go on writing`, async ({ profile, address }) => {
    const tabs = await openTabs(profile, address(3), 3);
    const before = await waitForEnsemble(tabs);
    const committed: Record<string, string> = {};
    for (const tab of tabs) Object.assign(committed, await writeMany(tab, `before-seat-${tab.seat}`, 3));

    const lostSeat = before.leader.seat;
    const lostAt = Date.now();
    await loss.lose(before.leader);
    const survivors = tabs.filter((tab) => tab !== before.leader);
    const after = await waitForEnsemble(survivors);
    note('new leader after', `${Date.now() - lostAt} ms (${loss.name})`);

    expect(after.leader.seat, 'the new leader is a surviving seat').not.toBe(lostSeat);
    expect(after.epoch, 'the new leader leads a later epoch').toBeGreaterThan(before.epoch);
    for (const tab of survivors) {
      await expect(tab.page.getByTestId('leader')).toContainText(String(after.leader.seat));
      await expect(tab.page.getByTestId('state')).toContainText(tab === after.leader ? 'LEADING' : 'FOLLOWING');
      await expect(tab.page.getByTestId('quorum-status')).not.toContainText('no quorum');
    }
    for (const tab of survivors) await expectData(tab, committed);
    for (const tab of survivors) Object.assign(committed, await writeMany(tab, `after-seat-${tab.seat}`, 2));
    if (loss.after !== undefined) {
      await loss.after(before.leader, after.leader);
      await expectData(before.leader, committed);
    }
    for (const tab of survivors) await expectData(tab, committed);
  });
}
