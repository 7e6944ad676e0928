import type { BrowserContext, Page } from '@playwright/test';
import type { BenchPageGlobals, SessionDescription } from './page-globals.ts';
import { withTimeout } from '../lib/deadline.ts';

/**
 * The two floors a replicated write stands on (docs/BROWSER.md, "IndexedDB"): one DataChannel
 * round trip between two pages and one IndexedDB transaction on disk. Both are timed inside the
 * page with performance.now(), so Playwright's own round trips are not in the samples.
 */

export const MESSAGE_BYTES = 100;
const CONNECT_TIMEOUT_MS = 15_000;

/** Two pages of `context` on a plain page of the server's origin (not the app, which would start a node). */
export async function openPlainPages(context: BrowserContext, serverUrl: string): Promise<[Page, Page]> {
  const url = new URL('/health', serverUrl).toString();
  const pages: Page[] = [];
  for (let index = 0; index < 2; index++) {
    const page = await context.newPage();
    await page.goto(url);
    pages.push(page);
  }
  return [pages[0]!, pages[1]!];
}

/**
 * Connects `offerer` to `answerer` with a plain RTCPeerConnection (no ICE servers, host
 * candidates only), exchanging complete descriptions through page.evaluate. The answerer echoes
 * every message it receives.
 */
export async function connectEchoChannel(offerer: Page, answerer: Page): Promise<void> {
  const offer = await offerer.evaluate(async () => {
    const page = globalThis as unknown as BenchPageGlobals;
    const peer = new page.RTCPeerConnection({ iceServers: [] });
    page.bench = { peer, channel: peer.createDataChannel('bench') };
    await peer.setLocalDescription(await peer.createOffer());
    // Non-trickle: wait for every host candidate, so one exchange each way suffices.
    await new Promise<void>((resolve) => {
      if (peer.iceGatheringState === 'complete') resolve();
      peer.addEventListener('icegatheringstatechange', () => peer.iceGatheringState === 'complete' && resolve());
    });
    return peer.localDescription as SessionDescription;
  });
  const answer = await answerer.evaluate(async (remote) => {
    const page = globalThis as unknown as BenchPageGlobals;
    const peer = new page.RTCPeerConnection({ iceServers: [] });
    page.bench = { peer, channel: null };
    peer.addEventListener('datachannel', ({ channel }) => {
      channel.addEventListener('message', (event) => channel.send(String(event.data)));
    });
    await peer.setRemoteDescription(remote);
    await peer.setLocalDescription(await peer.createAnswer());
    await new Promise<void>((resolve) => {
      if (peer.iceGatheringState === 'complete') resolve();
      peer.addEventListener('icegatheringstatechange', () => peer.iceGatheringState === 'complete' && resolve());
    });
    return peer.localDescription as SessionDescription;
  }, offer);
  const opened = offerer.evaluate(async (remote) => {
    const bench = (globalThis as unknown as BenchPageGlobals).bench!;
    await bench.peer.setRemoteDescription(remote);
    const channel = bench.channel!;
    if (channel.readyState !== 'open') await new Promise<void>((resolve) => channel.addEventListener('open', () => resolve()));
  }, answer);
  await withTimeout(opened, CONNECT_TIMEOUT_MS, () => {
    throw new Error(`timed out after ${CONNECT_TIMEOUT_MS} ms waiting for the benchmark DataChannel to open (is WebRtcHideLocalIpsWithMdns disabled?)`);
  });
}

/** Baseline A: `warmup + count` sequential round trips of a MESSAGE_BYTES message; returns the last `count` in ms. */
export async function measureRoundTrips(offerer: Page, count: number, warmup: number): Promise<number[]> {
  const samples = await offerer.evaluate(
    async ({ total, bytes }) => {
      const channel = (globalThis as unknown as BenchPageGlobals).bench!.channel!;
      const message = 'x'.repeat(bytes);
      let wake: () => void = () => undefined;
      channel.addEventListener('message', () => wake());
      const taken: number[] = [];
      for (let index = 0; index < total; index++) {
        const echoed = new Promise<void>((resolve) => (wake = resolve));
        const started = performance.now();
        channel.send(message);
        await echoed;
        taken.push(performance.now() - started);
      }
      return taken;
    },
    { total: warmup + count, bytes: MESSAGE_BYTES },
  );
  return samples.slice(warmup);
}

/**
 * Baseline B: `warmup + count` readwrite transactions, each putting one MESSAGE_BYTES record and
 * awaited to `complete`, with durability 'strict' as the app's storage uses
 * (client-app/storage/indexeddb-storage.ts). Returns the last `count` in ms.
 */
export async function measureIndexedDbWrites(page: Page, count: number, warmup: number): Promise<number[]> {
  const samples = await page.evaluate(
    async ({ total, bytes }) => {
      const globals = globalThis as unknown as BenchPageGlobals;
      const opening = globals.indexedDB.open(`tabkeeper-bench-${Math.random()}`, 1);
      opening.onupgradeneeded = () => opening.result.createObjectStore('records');
      const database = await new Promise<typeof opening.result>((resolve, reject) => {
        opening.onsuccess = () => resolve(opening.result);
        opening.onerror = () => reject(new Error('indexedDB.open failed'));
      });
      const record = { data: 'x'.repeat(bytes - 20) };
      const taken: number[] = [];
      for (let index = 0; index < total; index++) {
        const started = performance.now();
        const transaction = database.transaction('records', 'readwrite', { durability: 'strict' });
        transaction.objectStore('records').put(record, `record-${index}`);
        await new Promise<void>((resolve, reject) => {
          transaction.oncomplete = () => resolve();
          transaction.onerror = transaction.onabort = () => reject(new Error(`transaction ${index} failed`));
        });
        taken.push(performance.now() - started);
      }
      database.close();
      return taken;
    },
    { total: warmup + count, bytes: MESSAGE_BYTES },
  );
  return samples.slice(warmup);
}
