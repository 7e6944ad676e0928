import type { Json, Proposal, ServerId } from '../types.ts';
import { MAX_TRACE_EVENTS, TRACE_FORMAT, TRACE_VERSION, type SimTrace, type TraceEvent, type TraceLogEntry, type TraceStatus } from '../trace-format.ts';
import { formatZxid } from '../zxid.ts';
import type { SimCluster } from './cluster.ts';
import type { NetworkTraceEvent } from './network.ts';

/** Most log entries one `log-reset` event carries (the newest). */
const MAX_RESET_ENTRIES = 500;

interface SeenServer {
  statusKey: string;
  /** The log as last recorded: its last zxid and its length. */
  lastZxid: string;
  length: number;
  baseZxid: string;
}

/**
 * Records a simulated run as a trace the browser app replays (core/trace-format.ts): every
 * delivered or dropped message with its send time, each server's state whenever it changes,
 * its log as it grows or is replaced, and the simulator's notes (faults, restarts, phases).
 *
 * It watches from outside, as a checker does: states are compared after every network event and
 * note (a state changes only on a step, and every step that matters sends or receives), and once
 * more at the end.
 */
export class TraceRecorder {
  private readonly events: TraceEvent[] = [];
  private readonly seen = new Map<ServerId, SeenServer | null>();
  /** Messages in flight per directed link, FIFO, with their send times. */
  private readonly inFlight = new Map<string, { message: unknown; t: number }[]>();
  private truncated = false;

  constructor(private readonly cluster: SimCluster) {
    cluster.onNetworkEvent((event) => this.onNetwork(event));
    cluster.onNote((text) => {
      this.push({ t: this.now(), type: 'note', text });
      this.checkServers();
    });
  }

  /** The trace so far, with a last look at every server. */
  finish(meta: { seed: number; voters: number; observers: number; workload: string; summary: string; ok: boolean; failure: string | null }): SimTrace {
    this.checkServers();
    return { format: TRACE_FORMAT, version: TRACE_VERSION, ...meta, durationMs: this.now(), truncated: this.truncated, events: this.events };
  }

  private now(): number {
    return Math.round(this.cluster.world.now * 1000) / 1000;
  }

  private push(event: TraceEvent): void {
    if (this.events.length >= MAX_TRACE_EVENTS) {
      this.truncated = true;
      return;
    }
    this.events.push(event);
  }

  private onNetwork(event: NetworkTraceEvent): void {
    // A state change shows in the first network event after the step that made it, at its time.
    this.checkServers();
    const key = `${event.from}>${event.to}`;
    if (event.kind === 'send') {
      let queue = this.inFlight.get(key);
      if (queue === undefined) this.inFlight.set(key, (queue = []));
      queue.push({ message: event.message, t: this.now() });
      return;
    }
    if (event.kind !== 'deliver' && event.kind !== 'drop') return;
    const queue = this.inFlight.get(key) ?? [];
    const index = queue.findIndex((item) => item.message === event.message);
    const sentAt = index >= 0 ? queue[index]!.t : this.now();
    if (index >= 0) queue.splice(index, 1);
    this.push({
      t: this.now(),
      type: 'message',
      from: event.from,
      to: event.to,
      fate: event.kind,
      ...(event.reason === undefined ? {} : { reason: event.reason }),
      sentAt,
      message: event.message as Json,
    });
  }

  private checkServers(): void {
    const t = this.now();
    for (const sid of this.cluster.sids()) {
      const node = this.cluster.node(sid);
      const before = this.seen.get(sid);
      if (node === undefined) {
        if (before !== null) {
          this.seen.set(sid, null);
          this.push({ t, type: 'status', sid, status: null });
        }
        continue;
      }
      const server = node.inspect();
      const log = server.log;
      const status: TraceStatus = {
        state: server.state,
        serving: node.serving,
        leader: server.leader,
        epoch: server.currentEpoch,
        lastZxid: formatZxid(log.lastZxid),
        committedZxid: formatZxid(server.committedZxid),
        snapshotZxid: formatZxid(server.snapshotZxid),
        baseZxid: formatZxid(log.baseZxid),
      };
      const statusKey = JSON.stringify(status);
      const seen: SeenServer = before ?? { statusKey: '', lastZxid: '0:0', length: 0, baseZxid: '0:0' };
      if (statusKey !== seen.statusKey) this.push({ t, type: 'status', sid, status });
      if (status.lastZxid !== seen.lastZxid || log.length !== seen.length || status.baseZxid !== seen.baseZxid) {
        // Grew: the same base, and every entry recorded before is still there (no TRUNC, no reload).
        const previous = parseZxid(seen.lastZxid);
        const grew = before != null && status.baseZxid === seen.baseZxid && log.hasPoint(previous) && log.countThrough(previous) === seen.length && log.length > seen.length;
        if (grew) {
          this.push({ t, type: 'log', sid, append: log.entriesAfter(previous).map(entryOf) });
        } else {
          const entries: TraceLogEntry[] = [];
          for (let index = Math.max(0, log.length - MAX_RESET_ENTRIES); index < log.length; index++) entries.push(entryOf(log.entryAt(index)));
          this.push({ t, type: 'log-reset', sid, entries });
        }
      }
      this.seen.set(sid, { statusKey, lastZxid: status.lastZxid, length: log.length, baseZxid: status.baseZxid });
    }
  }
}

function entryOf(proposal: Proposal): TraceLogEntry {
  return { zxid: formatZxid(proposal.zxid), txn: { type: proposal.txn.type, op: proposal.txn.op } };
}

function parseZxid(text: string): { epoch: number; counter: number } {
  const [epoch, counter] = text.split(':').map(Number);
  return { epoch: epoch!, counter: counter! };
}
