import { createHash } from 'node:crypto';
import { io } from 'socket.io-client';
import { roomToken } from '../protocol/cluster-key.ts';
import type { JoinReply } from '../protocol/signaling-events.ts';
import { openTabs, waitForEnsemble } from './cluster.ts';
import { STATIC_DIRECTORY_VARIABLE, expect, note, test } from './fixtures.ts';
import { startSignalingServer } from './processes.ts';
import { Tab, type TabAddress } from './tab.ts';

// Goal (issue 9): the join key, not the signaling server, decides who is a peer. A tab with
// the wrong key that the signaling server puts in the cluster's room anyway never has a protocol
// message accepted, and the real tabs say so on the page; and a signaling server restart with
// an outsider racing the rejoin leaves the keyed cluster to its tabs, with its size.

test('a tab with the wrong key, put in the room by the signaling server, never gets a protocol message accepted', async ({ profile, launchBrowser, address }) => {
  const real: TabAddress = address(3, { key: 'the real key' });
  // All three seats (a new cluster is founded only by all N blank seats, core/seats.ts); the
  // outsider is then seated as an observer, which must prove the key just the same.
  const tabs = await openTabs(profile, real, 3);
  await waitForEnsemble(tabs);
  await tabs[0]!.runOk('create /before outsider');

  // The outsider knows the cluster's name but not its key. A relay rewrites its join so that
  // the signaling server seats it in the real room (what a hostile or mistaken server could do).
  const token = await roomToken(real.cluster, 'the real key');
  const outsiderContext = await launchBrowser();
  const page = await outsiderContext.newPage();
  let rewritten = 0;
  await page.routeWebSocket(/\/socket\.io\//, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((message) => {
      if (typeof message === 'string' && /^42\d*\["join"/.test(message)) {
        rewritten++;
        message = message.replace(/"key":"[^"]*"/, `"key":"${token}"`);
      }
      server.send(message);
    });
  });
  const outsider = new Tab(page, { ...real, query: { key: 'a wrong key' } });
  await outsider.goto();
  expect(rewritten, 'the outsider\'s join went through the rewriting relay').toBeGreaterThan(0);
  expect((await outsider.status()).seat, 'the signaling server seated the outsider in the real room').toBe(4);

  // Each real tab ran the handshake with it and closed the channel; the page shows the count.
  for (const tab of tabs) {
    await tab.waitForStatus('a failed join-key handshake', (status) => expect(status.peerAuth.failures).toBeGreaterThan(0));
    await expect(tab.page.getByTestId('peer-auth')).toContainText(/join key required; [1-9]\d* failed handshake/);
  }
  await outsider.waitForStatus('its handshakes fail', (status) => expect(status.peerAuth.failures).toBeGreaterThan(1));
  // The real cluster goes on serving without it, and the outsider has heard nothing.
  await tabs[1]!.runOk('create /after outsider');
  const seen = await outsider.status();
  note('outsider', `handshake failures ${seen.peerAuth.failures}, dropped ${seen.peerAuth.dropped}, accepted ${seen.peerAuth.accepted}; last: ${seen.peerAuth.lastFailure}`);
  expect(seen.peerAuth.accepted, 'protocol messages the outsider accepted').toBe(0);
  expect(seen.peers).toEqual([]);
  expect(seen).toMatchObject({ state: 'LOOKING', serving: false, leader: null, lastZxid: '0:0' });
  for (const tab of tabs) expect((await tab.status()).peers, `peers of ${tab.name}`).not.toContain(4);
  await waitForEnsemble(tabs);
});

test('after a signaling server restart an outsider racing the rejoin gets nothing; the tabs keep the keyed cluster and its size', async ({ profile, cluster }) => {
  const staticDirectory = process.env[STATIC_DIRECTORY_VARIABLE]!;
  let server = await startSignalingServer(staticDirectory);
  const port = Number(new URL(server.url).port);
  try {
    const real: TabAddress = { serverUrl: server.url, cluster, size: 5, query: { key: 'restart key' } };
    const tabs = await openTabs(profile, real, 5);
    await waitForEnsemble(tabs);
    await tabs[0]!.runOk('create /kept v1');

    // The server dies without a goodbye (a graceful stop tells tabs `io server disconnect`, after
    // which socket.io-client does not reconnect by itself; reconnection is issue 15's).
    server.process.child.kill('SIGKILL');
    await server.process.exited;
    server = await startSignalingServer(staticDirectory, { port });
    // The outsider knows only the cluster's name; it is first back, with a key and a size of its own.
    const socket = io(server.url, { transports: ['websocket'], reconnection: false, forceNew: true });
    const heard: string[] = [];
    socket.onAny((event: string) => heard.push(event));
    try {
      const outsiderToken = await roomToken(cluster, 'outsider key');
      // It names seat 1 with a made-up seat token, as a tab reclaiming its seat would: a restarted
      // server cannot check tokens it never issued, so it lets that through even in its grace period.
      const reply: JoinReply = await socket.timeout(5_000).emitWithAck('join', { cluster, size: 3, key: outsiderToken, seat: 1, token: 'made-up-seat-token-0123456789' });
      expect(reply).toMatchObject({ ok: true, seat: 1, size: 3, peers: [] });
      const claims = () => server.process.stderr.filter((line) => line.includes('"seat claimed"') && line.includes(`"cluster":"${cluster}"`));
      // Who came back first (the server's log; a room's label is 8 hex digits of its token's
      // SHA-256). The outsider usually wins, as it joins the moment the server listens while the
      // tabs back off; either way it must get nothing of the real cluster, which the old design
      // (first joiner sets the key) failed in both orders: wrong-key for the tabs or for the outsider.
      const outsiderRoom = createHash('sha256').update(outsiderToken).digest('hex').slice(0, 8);
      await expect.poll(() => claims().length).toBeGreaterThan(0);
      const outsiderFirst = claims()[0]!.includes(`"room":"${outsiderRoom}"`);

      // The real tabs rejoin their own room and keep serving N=5; nobody stops on wrong-key.
      for (const tab of tabs) {
        await tab.waitForStatus('rejoined after the restart', (status) => {
          expect(status.error).toBeNull();
          expect(status.size).toBe(5);
        });
      }
      await expect.poll(() => claims().length, { timeout: 30_000 }).toBeGreaterThanOrEqual(6);
      // A new tab asking for size=5 is not refused, and is told N=5 (an observer: all five seats are held).
      const fourth = await Tab.open(profile, real);
      expect(await fourth.status()).toMatchObject({ seat: 6, size: 5, error: null });
      await waitForEnsemble([...tabs, fourth]);
      expect(await fourth.readSynced('/kept')).toMatchObject({ ok: true, value: { data: 'v1' } });
      // The outsider heard of none of them.
      await fourth.runOk('create /after-restart yes');
      note('restart', `the outsider claimed a seat of the cluster's name ${outsiderFirst ? 'before' : 'after'} the real tabs`);
      expect(heard.filter((event) => event === 'peer-joined' || event === 'signal')).toEqual([]);
    } finally {
      socket.disconnect();
    }
  } finally {
    await server.stop();
  }
});
