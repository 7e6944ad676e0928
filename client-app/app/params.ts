import { LIMITS } from '../../protocol/signaling-events.ts';

/** What the page URL asks for: `/?cluster=demo&size=3&key=…`. */
export interface TabParams {
  readonly cluster: string;
  /** N for a cluster this tab creates; null: the signaling server's default (or the cluster's own). */
  readonly size: number | null;
  readonly key: string | null;
  /**
   * Core's snapshotEveryTxns and retainLogTxns for this tab (`snapshotEvery`, `retainLog`), null
   * for the defaults (1000 and 500). Small values let a test compact the log in a few writes.
   */
  readonly snapshotEveryTxns: number | null;
  readonly retainLogTxns: number | null;
  /**
   * ICE servers (`ice=stun:host:3478,turn:host:3478`) for tabs on different networks. None by
   * default: tabs on one machine or one LAN connect with host candidates, and no traffic leaves.
   */
  readonly iceServers: readonly { readonly urls: string }[];
  /** `forceNewCluster=1`: the UNSAFE recovery of a cluster that lost a quorum of storages (core/seats.ts). */
  readonly forceNewCluster: boolean;
}

const MAX_TUNING = 1_000_000;

export const DEFAULT_CLUSTER = 'demo';

/** The parameters, or why they are wrong (shown on the page). */
export function parseTabParams(search: string): TabParams | { readonly error: string } {
  const query = new URLSearchParams(search);
  const cluster = query.get('cluster') ?? DEFAULT_CLUSTER;
  if (!/^[A-Za-z0-9_-]+$/.test(cluster) || cluster.length > LIMITS.clusterNameLength) {
    return { error: `cluster must be 1..${LIMITS.clusterNameLength} characters of A-Z a-z 0-9 _ -, got ${JSON.stringify(cluster)}` };
  }
  const sizeText = query.get('size');
  let size: number | null = null;
  if (sizeText !== null && sizeText !== '') {
    size = /^\d+$/.test(sizeText) ? Number(sizeText) : Number.NaN;
    if (!Number.isInteger(size) || size < 1 || size > LIMITS.clusterSize) return { error: `size must be an integer from 1 to ${LIMITS.clusterSize}, got ${JSON.stringify(sizeText)}` };
  }
  const key = query.get('key');
  if (key !== null && (key.length === 0 || key.length > LIMITS.keyLength)) return { error: `key must be 1..${LIMITS.keyLength} characters` };
  const snapshotEveryTxns = integerParam(query, 'snapshotEvery', 1);
  if (typeof snapshotEveryTxns === 'string') return { error: snapshotEveryTxns };
  const retainLogTxns = integerParam(query, 'retainLog', 0);
  if (typeof retainLogTxns === 'string') return { error: retainLogTxns };
  const iceServers = iceParam(query.get('ice'));
  if (typeof iceServers === 'string') return { error: iceServers };
  // UNSAFE recovery (core/seats.ts): `forceNewCluster=1` re-records the storages present.
  const forceNewCluster = query.get('forceNewCluster') === '1';
  return { cluster, size, key, snapshotEveryTxns, retainLogTxns, iceServers, forceNewCluster };
}

/** Comma-separated `stun:` / `turn:` / `turns:` URLs, or why they are wrong. */
function iceParam(text: string | null): { urls: string }[] | string {
  if (text === null || text === '') return [];
  const urls = text.split(',').map((url) => url.trim());
  const bad = urls.find((url) => !/^(stun|turns?):[^\s]{1,200}$/.test(url));
  if (bad !== undefined || urls.length > 8) return `ice must be up to 8 comma-separated stun:/turn: URLs, got ${JSON.stringify(bad ?? text)}`;
  return urls.map((url) => ({ urls: url }));
}

/** An optional integer parameter from `min` to MAX_TUNING, or why it is wrong. */
function integerParam(query: URLSearchParams, name: string, min: number): number | null | string {
  const text = query.get(name);
  if (text === null || text === '') return null;
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(value) || value < min || value > MAX_TUNING) return `${name} must be an integer from ${min} to ${MAX_TUNING}, got ${JSON.stringify(text)}`;
  return value;
}

/** Where a tab keeps the seat it holds, so that a reload reclaims it (sessionStorage is per tab). */
export function seatStorageKey(cluster: string): string {
  return `tabkeeper/${cluster}/seat`;
}

/** Where a tab keeps its cluster's size N, so that a reload re-creates a forgotten cluster with it. */
export function sizeStorageKey(cluster: string): string {
  return `tabkeeper/${cluster}/size`;
}
