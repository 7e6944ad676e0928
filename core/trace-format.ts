import * as v from 'valibot';
import { StatSchema, type Stat } from './tree/stat.ts';
import type { Json } from './types.ts';

/**
 * The simulator's trace file (`npm run sim -- --seed N --trace out.json`), which the browser
 * app replays. One home for its shape: the recorder (core/sim/trace-recorder.ts) writes it and
 * the app (client-app/ui/replay/) reads it, so the app never bundles the simulator.
 *
 * Times are simulated milliseconds. Events are in time order. Zxids are "epoch:counter".
 */
export const TRACE_FORMAT = 'tabkeeper-sim-trace';
export const TRACE_VERSION = 2;
/** Versions the app reads: version 1 traces have no `tree` events (the replay shows no data trees for them). */
export const TRACE_VERSIONS_READ = [1, 2] as const;

/** One server's state as the simulator saw it; null in a `status` event means the server is down. */
export interface TraceStatus {
  readonly state: string;
  readonly serving: boolean;
  readonly leader: number | null;
  readonly epoch: number;
  readonly lastZxid: string;
  readonly committedZxid: string;
  readonly snapshotZxid: string;
  readonly baseZxid: string;
}

export interface TraceLogEntry {
  readonly zxid: string;
  /** The txn: `{type: 'op' | 'sync', op}`. */
  readonly txn: { readonly type: string; readonly op: Json };
}

/** A znode's stat as the data tree reports it: core/tree/stat.ts's Stat. */
export type TraceStat = Stat;

/**
 * One node of a server's applied state: a znode of the data tree, or a key of the key-value
 * machine (shown as `/key`, stat null). Data longer than MAX_TRACE_DATA is cut (and says so).
 */
export interface TraceZnode {
  readonly path: string;
  readonly data: string;
  readonly stat: TraceStat | null;
}

/** Longest data a trace keeps per node; the rest is cut (a 1 MiB value would make a trace no browser loads). */
export const MAX_TRACE_DATA = 256;
/** Most nodes a trace records per server (the smallest paths first); a bigger tree is cut, and says so in a note. */
export const MAX_TRACE_NODES = 2000;

export type TraceEvent =
  /** A server's state changed (or it went down: status null). */
  | { readonly t: number; readonly type: 'status'; readonly sid: number; readonly status: TraceStatus | null }
  /** A message reached `to` (deliver) or was lost (drop, with the network's reason); sent at `sentAt`. */
  | { readonly t: number; readonly type: 'message'; readonly from: number; readonly to: number; readonly fate: 'deliver' | 'drop'; readonly reason?: string; readonly sentAt: number; readonly message: Json }
  /** Entries appended to a server's log. */
  | { readonly t: number; readonly type: 'log'; readonly sid: number; readonly append: readonly TraceLogEntry[] }
  /** A server's log was replaced (truncated, reloaded, a snapshot installed): its whole log now (the newest entries, capped). */
  | { readonly t: number; readonly type: 'log-reset'; readonly sid: number; readonly entries: readonly TraceLogEntry[] }
  /** A server's applied state changed: nodes now present (new or changed) and paths gone, since its last `tree` event. */
  | { readonly t: number; readonly type: 'tree'; readonly sid: number; readonly set: readonly TraceZnode[]; readonly remove: readonly string[] }
  /** What the simulator did: a fault, a restart, a phase. */
  | { readonly t: number; readonly type: 'note'; readonly text: string };

export interface SimTrace {
  readonly format: typeof TRACE_FORMAT;
  readonly version: (typeof TRACE_VERSIONS_READ)[number];
  readonly seed: number;
  readonly voters: number;
  readonly observers: number;
  readonly workload: string;
  /** The swarm's options, one line. */
  readonly summary: string;
  readonly ok: boolean;
  readonly failure: string | null;
  readonly durationMs: number;
  /** Whether `events` was cut short at the recorder's bound (the file stays loadable). */
  readonly truncated: boolean;
  readonly events: readonly TraceEvent[];
}

/** Most events a trace keeps; past it the recorder stops and says so (a browser must load it). */
export const MAX_TRACE_EVENTS = 400_000;

const Time = v.pipe(v.number(), v.minValue(0));
const Sid = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1000));
const ZxidText = v.pipe(v.string(), v.regex(/^\d+:\d+$/));
const JsonValue = v.custom<Json>(() => true);
const LogEntrySchema = v.object({ zxid: ZxidText, txn: v.object({ type: v.string(), op: JsonValue }) });
const StatusSchema = v.object({
  state: v.pipe(v.string(), v.maxLength(32)),
  serving: v.boolean(),
  leader: v.nullable(Sid),
  epoch: v.pipe(v.number(), v.integer(), v.minValue(0)),
  lastZxid: ZxidText,
  committedZxid: ZxidText,
  snapshotZxid: ZxidText,
  baseZxid: ZxidText,
});

const ZnodeSchema = v.object({ path: v.pipe(v.string(), v.startsWith('/')), data: v.string(), stat: v.nullable(StatSchema) });

const EventSchema = v.variant('type', [
  v.object({ t: Time, type: v.literal('status'), sid: Sid, status: v.nullable(StatusSchema) }),
  v.object({ t: Time, type: v.literal('message'), from: Sid, to: Sid, fate: v.picklist(['deliver', 'drop']), reason: v.optional(v.string()), sentAt: Time, message: JsonValue }),
  v.object({ t: Time, type: v.literal('log'), sid: Sid, append: v.array(LogEntrySchema) }),
  v.object({ t: Time, type: v.literal('log-reset'), sid: Sid, entries: v.array(LogEntrySchema) }),
  v.object({ t: Time, type: v.literal('tree'), sid: Sid, set: v.array(ZnodeSchema), remove: v.array(v.string()) }),
  v.object({ t: Time, type: v.literal('note'), text: v.string() }),
]);

export const SimTraceSchema = v.object({
  format: v.literal(TRACE_FORMAT),
  version: v.picklist(TRACE_VERSIONS_READ),
  seed: v.number(),
  voters: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1000)),
  observers: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(1000)),
  workload: v.string(),
  summary: v.string(),
  ok: v.boolean(),
  failure: v.nullable(v.string()),
  durationMs: Time,
  truncated: v.boolean(),
  events: v.pipe(v.array(EventSchema), v.maxLength(MAX_TRACE_EVENTS)),
});

/** Reads a trace file's text: the trace, or why it is not one (never throws). */
export function parseTrace(text: string): { readonly ok: true; readonly trace: SimTrace } | { readonly ok: false; readonly error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, error: 'not JSON' };
  }
  if (typeof value !== 'object' || value === null || (value as { format?: unknown }).format !== TRACE_FORMAT) {
    return { ok: false, error: `not a TabKeeper simulator trace (expected format "${TRACE_FORMAT}")` };
  }
  const result = v.safeParse(SimTraceSchema, value);
  if (!result.success) {
    const issue = result.issues[0];
    const where = issue?.path?.map((item) => String(item.key)).join('.') ?? '';
    return { ok: false, error: `malformed trace${where ? ` at ${where}` : ''}: ${issue?.message ?? 'unknown issue'}` };
  }
  const events = result.output.events;
  for (let index = 1; index < events.length; index++) {
    if (events[index]!.t < events[index - 1]!.t) return { ok: false, error: `events out of time order at ${index}` };
  }
  return { ok: true, trace: result.output as SimTrace };
}
