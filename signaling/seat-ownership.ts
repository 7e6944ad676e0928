import { createHash, randomBytes } from 'node:crypto';
import type { Refusal } from '../protocol/signaling-events.ts';
import type { ClaimRequest, Holder } from './seats.ts';

/**
 * Who owns a seat when the signaling server that seated its tab is gone.
 *
 * A tab's seat outlives its socket: the tab keeps serving over its DataChannels while its
 * signaling server dies or restarts, and comes back through another server (or the restarted
 * one). Two things keep a new tab off that seat meanwhile, so that two live tabs never hold one:
 *
 * - The seat token. Every successful claim stores a token's SHA-256 with the seat: a fresh one
 *   the server hands out, or the one the tab presented when reclaiming. The tab keeps it with
 *   its seat (sessionStorage). A claim presenting the matching token may replace a holder whose
 *   socket is on another server or whose server is dead: that socket was this very tab's. A
 *   holder on the claiming server itself is never replaced (its disconnect frees the seat: a
 *   reload waits for it, a duplicated tab gets another seat). Only hashes are stored, so
 *   reading the seat table (Redis) gives nobody a seat.
 * - The grace period (`seatGraceMs`). Memory mode forgets every seat when the process ends, so
 *   for that long after start it grants only reclaims (a named seat with a token) and asks
 *   everyone else to retry: the tabs of the clusters it served before reconnect within a few
 *   seconds and take their seats back first. Redis mode remembers seats, and keeps the seat of
 *   a dead server's socket reserved for its token for that long after it is found dead.
 */

/** A new seat token: 128 random bits as 32 hex characters. */
export function newSeatToken(): string {
  return randomBytes(16).toString('hex');
}

export function hashSeatToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Whether `request` may take a seat held (or reserved) by `holder`: it presents the seat's
 * token, and the holder is not a live socket of the claiming server.
 */
export function mayReplaceHolder(request: ClaimRequest, holder: Holder | null, storedTokenHash: string | null, holderLive: boolean): boolean {
  if (!request.tokenPresented || storedTokenHash === null || storedTokenHash !== request.tokenHash) return false;
  return !holderLive || holder === null || holder.serverId !== request.holder.serverId;
}

/** Memory mode's grace after start: only reclaims are granted until it ends. */
export class StartupGrace {
  private readonly untilMs: number;

  constructor(
    private readonly now: () => number,
    graceMs: number,
  ) {
    this.untilMs = now() + graceMs;
  }

  /** The refusal for a claim that must wait, or null if it may go ahead. */
  refusal(request: ClaimRequest): Refusal | null {
    const leftMs = this.untilMs - this.now();
    if (leftMs <= 0 || (request.seat !== undefined && request.tokenPresented)) return null;
    return {
      ok: false,
      code: 'unavailable',
      error: `this signaling server started moments ago: seats are held for the tabs that had them for ${Math.ceil(leftMs / 1000)} s more; retry shortly`,
    };
  }
}
