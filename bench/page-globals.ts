/**
 * The few browser APIs the benchmarks call inside `page.evaluate`, typed by hand: the root
 * tsconfig type-checks Node code (no DOM lib), and adding the DOM lib there would change how
 * every other Node file resolves globals such as `setTimeout`.
 */

import type { DataChannel, PeerConnection, SessionDescription } from '../e2e/rtc-types.ts';

export type { DataChannel, PeerConnection, SessionDescription };

interface Request<T> {
  readonly result: T;
  onsuccess: (() => void) | null;
  onerror: (() => void) | null;
}

interface OpenRequest extends Request<Database> {
  onupgradeneeded: (() => void) | null;
}

export interface Transaction {
  objectStore(name: string): { put(value: unknown, key: string): Request<unknown> };
  oncomplete: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
}

export interface Database {
  createObjectStore(name: string): unknown;
  transaction(store: string, mode: 'readwrite', options: { durability: 'default' | 'relaxed' | 'strict' }): Transaction;
  close(): void;
}

/** The page's global object as the benchmark sees it. */
export interface BenchPageGlobals {
  readonly RTCPeerConnection: new (configuration: { iceServers: never[] }) => PeerConnection;
  readonly indexedDB: { open(name: string, version: number): OpenRequest };
  /** The benchmark's own state between evaluate calls on one page. */
  bench?: { peer: PeerConnection; channel: DataChannel | null };
}
