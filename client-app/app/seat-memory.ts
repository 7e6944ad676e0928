import type { ServerId } from '../../core/types.ts';
import { seatStorageKey, sizeStorageKey } from './params.ts';

/**
 * The seat a tab holds and its seat token (the proof that it owns it, signaling/seat-ownership.ts),
 * kept in sessionStorage: per tab, it survives a reload, so the tab reclaims its seat through
 * whichever signaling server it reaches.
 */
export interface RememberedSeat {
  readonly seat: ServerId;
  readonly token: string | null;
  /**
   * The cluster's size N: a reload after the signaling server forgot the cluster (a restart) may
   * be the first tab back, and it re-creates the cluster with this N, not the server's default.
   */
  readonly size: number | null;
}

export function seatTokenStorageKey(cluster: string): string {
  return `tabkeeper/${cluster}/seat-token`;
}

export function readRememberedSeat(cluster: string): RememberedSeat | null {
  const text = sessionStorage.getItem(seatStorageKey(cluster));
  const seat = text === null ? Number.NaN : Number(text);
  if (!Number.isInteger(seat) || seat < 1) return null;
  const token = sessionStorage.getItem(seatTokenStorageKey(cluster));
  const size = Number(sessionStorage.getItem(sizeStorageKey(cluster)) ?? Number.NaN);
  return { seat, token: token !== null && /^[A-Za-z0-9_-]{16,64}$/.test(token) ? token : null, size: Number.isInteger(size) && size >= 1 ? size : null };
}

export function rememberSeat(cluster: string, seat: ServerId, token: string, size: number): void {
  sessionStorage.setItem(seatStorageKey(cluster), String(seat));
  sessionStorage.setItem(seatTokenStorageKey(cluster), token);
  sessionStorage.setItem(sizeStorageKey(cluster), String(size));
}
