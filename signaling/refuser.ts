import type { ErrorCode, ErrorEvent, Refusal } from '../protocol/signaling-events.ts';
import type { LogFields } from './logger.ts';
import type { LogThrottle } from './log-throttle.ts';
import { refuse } from './seats.ts';
import type { Ack, SocketState, TabSocket } from './socket-state.ts';

/** Refusals that mean a client sent something it should not have (logged at warn); the rest are ordinary (info). */
const BAD_INPUT_CODES: ReadonlySet<ErrorCode> = new Set([
  'invalid',
  'unknown-event',
  'not-joined',
  'not-attached',
  'already-joined',
  'seat-out-of-range',
  'wrong-key',
  'wrong-secret',
  'busy',
]);

export interface RefusalExtra {
  readonly ack?: Ack | null;
  readonly payload?: unknown;
  readonly retryAfterMs?: number;
  readonly quiet?: boolean;
  readonly fields?: LogFields;
}

/** How the server says no: to the socket (`error-event`, and its ack) and to the log, through the throttle. */
export class Refuser {
  constructor(private readonly throttle: LogThrottle) {}

  /**
   * Tells the socket why its event was refused (`error-event`, and the ack if it asked for one)
   * and logs it: bad input at warn, ordinary refusals (a seat taken, no tab yet) at info. A
   * refused gateway-request names its requestId so the client can fail or retry that request.
   */
  refuse(socket: TabSocket, event: string, code: ErrorCode, reason: string, extra: RefusalExtra): void {
    const requestId = requestIdOf(extra.payload);
    const errorEvent: ErrorEvent = {
      event,
      code,
      reason,
      ...(requestId === undefined ? {} : { requestId }),
      ...(extra.retryAfterMs === undefined ? {} : { retryAfterMs: extra.retryAfterMs }),
    };
    socket.emit('error-event', errorEvent);
    if (extra.ack) extra.ack({ ...refuse(code, reason), ...(extra.retryAfterMs === undefined ? {} : { retryAfterMs: extra.retryAfterMs }) });
    if (extra.quiet === true) return;
    const fields = { ...extra.fields, event, code, reason, socket: socket.id };
    // Through the throttle: a flood of refusals writes a few lines a second, with counts.
    if (code === 'rate-limited') this.throttle.log('warn', 'rate limited', `${event}`, fields);
    else if (BAD_INPUT_CODES.has(code)) this.throttle.log('warn', 'payload refused', `${event}/${code}`, fields);
    else this.throttle.log('info', 'request refused', `${event}/${code}`, fields);
  }

  /** Refusal of an acknowledged request that the seat table decided. */
  refuseWith(socket: TabSocket, event: string, refusal: Refusal, ack: Ack, fields: LogFields): void {
    this.refuse(socket, event, refusal.code, refusal.error, { ack, fields });
  }

  /** Takes `data`'s characters from the socket's relay budget, or refuses the event (rate-limited). */
  takeCharacters(socket: TabSocket, state: SocketState, event: string, data: unknown, extra: { payload?: unknown }): boolean {
    const length = JSON.stringify(data).length;
    if (state.characters.maybeTake(length)) return true;
    const retryAfterMs = state.characters.waitMs(length);
    this.refuse(socket, event, 'rate-limited', `too many characters relayed; retry in ${retryAfterMs} ms`, { ...extra, retryAfterMs });
    return false;
  }
}

function requestIdOf(payload: unknown): number | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const requestId = (payload as { requestId?: unknown }).requestId;
  return typeof requestId === 'number' && Number.isSafeInteger(requestId) && requestId >= 0 ? requestId : undefined;
}
