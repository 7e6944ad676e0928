import type { Page } from '@playwright/test';
import { commandLineSwitches, EXTRA_DISABLED_FEATURES, LOCAL_ONLY_FLAGS, playwrightDisableFeaturesSwitch } from './chromium.ts';
import { expect, test } from './fixtures.ts';
import type { DataChannel, PeerConnection } from './rtc-types.ts';
import { Tab } from './tab.ts';

// Goal: the browser is launched as docs/BROWSER.md requires, WebRTC connects under those flags,
// and the app boots in it. Method: read the real command line from chrome://version, connect
// two bare pages with host candidates only, and open a one-seat cluster.

test('Chromium runs with the local-only flags and one merged --disable-features', async ({ profile }) => {
  const switches = await commandLineSwitches(profile);
  for (const flag of LOCAL_ONLY_FLAGS) expect(switches, `command line has ${flag}`).toContain(flag);
  const disableFeatures = switches.filter((item) => item.startsWith('--disable-features='));
  expect(disableFeatures, 'exactly one --disable-features switch (Chromium honours only the last)').toHaveLength(1);
  const features = disableFeatures[0]!.slice('--disable-features='.length).split(',');
  for (const feature of EXTRA_DISABLED_FEATURES) expect(features).toContain(feature);
  const playwrightSwitch = await playwrightDisableFeaturesSwitch();
  expect(playwrightSwitch, 'Playwright passes a --disable-features list of its own').not.toBeNull();
  for (const feature of playwrightSwitch!.slice('--disable-features='.length).split(',')) {
    expect(features, `Playwright's disabled feature ${feature} kept`).toContain(feature);
  }
});

test('two pages connect a DataChannel with plain host candidates', async ({ profile }) => {
  const [offerer, answerer] = [await profile.newPage(), await profile.newPage()];
  const offer = await offerer.evaluate(createOffer);
  expect(offer, 'offer candidates are not mDNS names').not.toContain('.local');
  const answer = await answerer.evaluate(acceptOffer, offer);
  expect(answer, 'answer candidates are not mDNS names').not.toContain('.local');
  const echoed = await offerer.evaluate(finishAndEcho, { answer, timeoutMs: CONNECT_TIMEOUT_MS });
  expect(echoed).toBe('pong');
  await Promise.all([offerer, answerer].map((page: Page) => page.close()));
});

test('a one-seat cluster boots, leads and runs an op typed into the form', async ({ profile, address }) => {
  const tab = await Tab.open(profile, address(1));
  const { page } = tab;
  await expect(page.getByTestId('seat')).toContainText('1');
  await expect(page.getByTestId('state')).toContainText('LEADING', { timeout: 30_000 });
  await expect(page.getByTestId('leader')).toContainText('1');
  await expect(page.getByTestId('quorum-status')).not.toContainText('no quorum');
  await tab.runInForm('create /smoke hello', '/smoke');
  await tab.runInForm('get /smoke', 'hello');
  const status = await tab.status();
  expect(status).toMatchObject({ size: 1, seat: 1, state: 'LEADING', serving: true, leader: 1, restored: null, error: null });
  await expect(page.getByTestId('last-zxid')).toContainText(status.lastZxid);
  await expect(page.getByTestId('committed-zxid')).toContainText(status.committedZxid);
  await expect(page.getByTestId('epoch')).toContainText(String(status.currentEpoch));
});

// The three steps below run inside the pages; they keep their peer connection on globalThis.
// A connection that never opens is reported after our own timeout (docs/BROWSER.md: without
// the flag, .local candidates hang forever with no error). The few WebRTC shapes they use are
// declared in rtc-types.ts: the project compiles without DOM types so that core/ cannot touch the DOM.
const CONNECT_TIMEOUT_MS = 10_000;

interface RtcGlobals {
  RTCPeerConnection: new (configuration: { iceServers: [] }) => PeerConnection;
  rtc?: { connection: PeerConnection; channel: Promise<DataChannel> };
}

async function createOffer(): Promise<string> {
  const page = globalThis as unknown as RtcGlobals;
  const connection = new page.RTCPeerConnection({ iceServers: [] });
  const channel = connection.createDataChannel('smoke');
  const opened = new Promise<DataChannel>((resolve) => channel.addEventListener('open', () => resolve(channel)));
  page.rtc = { connection, channel: opened };
  await connection.setLocalDescription(await connection.createOffer());
  await new Promise<void>((resolve) => {
    if (connection.iceGatheringState === 'complete') resolve();
    connection.addEventListener('icegatheringstatechange', () => connection.iceGatheringState === 'complete' && resolve());
  });
  return connection.localDescription!.sdp;
}

async function acceptOffer(offer: string): Promise<string> {
  const page = globalThis as unknown as RtcGlobals;
  const connection = new page.RTCPeerConnection({ iceServers: [] });
  const channel = new Promise<DataChannel>((resolve) =>
    connection.addEventListener('datachannel', (event) => {
      event.channel.addEventListener('message', (message) => event.channel.send(message.data === 'ping' ? 'pong' : '?'));
      resolve(event.channel);
    }),
  );
  page.rtc = { connection, channel };
  await connection.setRemoteDescription({ type: 'offer', sdp: offer });
  await connection.setLocalDescription(await connection.createAnswer());
  await new Promise<void>((resolve) => {
    if (connection.iceGatheringState === 'complete') resolve();
    connection.addEventListener('icegatheringstatechange', () => connection.iceGatheringState === 'complete' && resolve());
  });
  return connection.localDescription!.sdp;
}

async function finishAndEcho({ answer, timeoutMs }: { answer: string; timeoutMs: number }): Promise<string> {
  const rtc = (globalThis as unknown as RtcGlobals).rtc!;
  await rtc.connection.setRemoteDescription({ type: 'answer', sdp: answer });
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error(`DataChannel not open within ${timeoutMs} ms (${rtc.connection.connectionState})`)), timeoutMs),
  );
  const channel = await Promise.race([rtc.channel, timeout]);
  const reply = new Promise<string>((resolve) => channel.addEventListener('message', (message) => resolve(String(message.data))));
  channel.send('ping');
  return Promise.race([reply, timeout]);
}
