/**
 * Asking a peer over its own DataChannel whether it is still there.
 *
 * The signaling server's word about a peer (`peer-left`, `peer-joined`) is a hint, never a
 * verdict: a server that dies, restarts or loses track of a tab says things that are not true
 * of the DataChannels, and the cluster must keep every link that works. So a hint about a seat
 * with an open link makes the transport probe it: a small control message the peer's transport
 * answers at once. An answer keeps the link; no answer within the timeout (a dead tab's channel
 * stays "open" for 15-20 s, docs/BROWSER.md) closes it, so that the seat's new tab can connect.
 *
 * Control messages travel as framed text like protocol messages; they start with `~`, which no
 * protocol message (JSON, `{`) does, and never reach the node.
 */

const PROBE = '~probe ';
const ALIVE = '~alive ';
const CONTROL_PATTERN = /^~(probe|alive) (\d{1,15})$/;

/** How long a probed peer has to answer. Generous: a busy tab on a loaded machine stalls for a while. */
export const PROBE_TIMEOUT_MS = 4_000;

export type ControlMessage = { readonly kind: 'probe' | 'alive'; readonly id: number };

/** The control message in `text`, or null if it is not one (then it is a protocol message). */
export function parseControl(text: string): ControlMessage | null {
  if (!text.startsWith('~')) return null;
  const match = CONTROL_PATTERN.exec(text);
  if (match === null) return { kind: 'alive', id: -1 }; // a malformed control message: matches no probe, so it is dropped
  return { kind: match[1] as 'probe' | 'alive', id: Number(match[2]) };
}

export interface LinkProbesOptions<L> {
  /** Sends control text on the link; false if it could not be sent (the link is already failing). */
  readonly send: (link: L, text: string) => boolean;
  /** The probe went unanswered: close the link. */
  readonly dead: (link: L, why: string) => void;
  /** The peer answered. */
  readonly alive: (link: L) => void;
  readonly timeoutMs?: number;
  readonly setTimer?: (callback: () => void, ms: number) => unknown;
  readonly clearTimer?: (timer: unknown) => void;
}

export class LinkProbes<L extends object> {
  private readonly pending = new Map<L, { id: number; timer: unknown; why: string }>();
  private nextId = 1;
  private readonly setTimer: (callback: () => void, ms: number) => unknown;
  private readonly clearTimer: (timer: unknown) => void;

  constructor(private readonly options: LinkProbesOptions<L>) {
    this.setTimer = options.setTimer ?? ((callback, ms) => setTimeout(callback, ms));
    this.clearTimer = options.clearTimer ?? ((timer) => clearTimeout(timer as ReturnType<typeof setTimeout>));
  }

  /** Probes `link` because of `why` (one probe at a time per link). */
  probe(link: L, why: string): void {
    if (this.pending.has(link)) return;
    const id = this.nextId++;
    const timeoutMs = this.options.timeoutMs ?? PROBE_TIMEOUT_MS;
    const timer = this.setTimer(() => {
      if (this.pending.get(link)?.id !== id) return;
      this.pending.delete(link);
      this.options.dead(link, `no answer to a probe within ${timeoutMs} ms after ${why}`);
    }, timeoutMs);
    this.pending.set(link, { id, timer, why });
    if (!this.options.send(link, `${PROBE}${id}`)) {
      this.forget(link);
      this.options.dead(link, `the probe after ${why} could not be sent`);
    }
  }

  /** Handles a control message received on `link`: answers probes, settles answers. */
  receive(link: L, message: ControlMessage): void {
    if (message.kind === 'probe') {
      this.options.send(link, `${ALIVE}${message.id}`);
      return;
    }
    const pending = this.pending.get(link);
    if (pending === undefined || pending.id !== message.id) return;
    this.forget(link);
    this.options.alive(link);
  }

  /** Whether a probe of `link` is waiting for its answer. */
  probing(link: L): boolean {
    return this.pending.has(link);
  }

  /** The link closed: its probe no longer matters. */
  forget(link: L): void {
    const pending = this.pending.get(link);
    if (pending === undefined) return;
    this.clearTimer(pending.timer);
    this.pending.delete(link);
  }
}
