/**
 * A seat of the cluster as the cluster view draws it. The live tab fills it from what it sent
 * and heard (its own status, heartbeats, election and discovery messages, its links); a replay
 * fills it from the trace, which knows every server.
 */
export interface SeatView {
  readonly seat: number;
  readonly observer: boolean;
  /** This tab's own seat (live), or false for every seat of a replay. */
  readonly self: boolean;
  /** LOOKING / FOLLOWING / LEADING / OBSERVING / RECOVERING…, 'unknown' when nothing was heard, 'empty', 'DOWN'. */
  readonly state: string;
  readonly epoch: number | null;
  readonly lastZxid: string | null;
  readonly committedZxid: string | null;
  readonly leader: boolean;
  /** This tab's link to the seat: self, open, connecting, cut (fault control), gone (its tab left), empty (never held). */
  readonly link: 'self' | 'open' | 'connecting' | 'cut' | 'gone' | 'empty' | 'sim';
  /** When the status was last heard (ms since epoch, live only). */
  readonly heardAtMs: number | null;
  /** What told us: 'own', 'heartbeat', 'election', 'discovery', 'trace'. */
  readonly source: string;
}

/** A batch of messages on one link, drawn as one dot travelling from `from` to `to`. */
export interface Pulse {
  readonly id: number;
  readonly from: number;
  readonly to: number;
  readonly category: string;
  readonly count: number;
  readonly label: string;
  /** How long it travels (ms): follows the message's real delay in a replay. */
  readonly durationMs: number;
}

export function stateClass(state: string): string {
  return `state-${state.toLowerCase().replace(/[^a-z]/g, '')}`;
}

/** Text beside a state's colour (colour alone fails some readers). */
export function stateLabel(state: string): string {
  switch (state) {
    case 'empty':
      return 'empty seat';
    case 'unknown':
      return 'not heard';
    default:
      return state;
  }
}
