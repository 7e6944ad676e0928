import type { ServerId } from '../../core/types.ts';
import { seatStorageKey } from './params.ts';

/**
 * The seat a tab holds and its seat token (the proof that it owns it, signaling/seat-ownership.ts),
 * kept in sessionStorage: per tab, it survives a reload, so the tab reclaims its seat through
 * whichever signaling server it reaches.
 */
export interface RememberedSeat {
  readonly seat: ServerId;
  readonly token: string | null;
}

export function seatTokenStorageKey(cluster: string): string {
  return `tabkeeper/${cluster}/seat-token`;
}

export function readRememberedSeat(cluster: string): RememberedSeat | null {
  const text = sessionStorage.getItem(seatStorageKey(cluster));
  const seat = text === null ? Number.NaN : Number(text);
  if (!Number.isInteger(seat) || seat < 1) return null;
  const token = sessionStorage.getItem(seatTokenStorageKey(cluster));
  return { seat, token: token !== null && /^[A-Za-z0-9_-]{16,64}$/.test(token) ? token : null };
}

export function rememberSeat(cluster: string, seat: ServerId, token: string): void {
  sessionStorage.setItem(seatStorageKey(cluster), String(seat));
  sessionStorage.setItem(seatTokenStorageKey(cluster), token);
}
