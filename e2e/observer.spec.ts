import { expectData, openTabs, waitForEnsemble, waitForLocalData, writeMany } from './cluster.ts';
import type { TabStatus } from './contract.ts';
import { expect, test } from './fixtures.ts';
import { ELECTION_TIMEOUT_MS, Tab } from './tab.ts';

// Goal (issue 6, case 5): a fourth tab in a three-seat cluster takes observer seat 4, sees
// every commit, forwards its own writes, and never votes. Method: sample the observer's
// status all along; close two voters and check that voter + observer is no quorum.

test('a fourth tab in a three-seat cluster observes every commit and never votes', async ({ profile, address }) => {
  const tabs = await openTabs(profile, address(3), 4);
  const observer = tabs[3]!;
  const samples: TabStatus[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const status = await observer.status().catch(() => null);
      if (status !== null) samples.push(status);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })();

  const { leader, followers } = await waitForEnsemble(tabs);
  await expect(observer.page.getByTestId('state')).toContainText('OBSERVING');
  await expect(observer.page.getByTestId('seat')).toContainText('4');
  const written: Record<string, string> = {};
  Object.assign(written, await writeMany(leader, 'by-leader', 3));
  Object.assign(written, await writeMany(followers[0]!, 'by-follower', 3));
  Object.assign(written, await writeMany(observer, 'by-observer', 3));
  for (const [path, data] of Object.entries(written)) await waitForLocalData(observer, path, data);
  const leaderStatus = await leader.status();
  await observer.waitForStatus('committed as far as the leader', (status) => expect(status.committedZxid).toBe(leaderStatus.committedZxid));

  // Voter + observer: two live tabs, but one vote of three.
  const [remainingVoter] = followers.slice(1);
  await leader.close();
  await followers[0]!.close();
  await remainingVoter!.waitForStatus('no quorum with only the observer beside it', (status) => expect(status.serving, 'serving').toBe(false), ELECTION_TIMEOUT_MS);
  await expect(remainingVoter!.page.getByTestId('quorum-status')).toContainText('no quorum');
  await expect(observer.page.getByTestId('state')).not.toContainText('LEADING');

  const reopened = await Tab.open(profile, address(3));
  await waitForEnsemble([reopened, remainingVoter!, observer]);
  await expectData(observer, written);
  sampling = false;
  await sampler;
  const voted = samples.filter((status) => status.state === 'LEADING' || status.state === 'FOLLOWING' || status.seat !== 4);
  expect(voted, `observer samples in a voter's state or another seat (of ${samples.length})`).toEqual([]);
});
