import type { HistoryRecord } from './history.ts';
import type { InitialValue } from './kv-history.ts';
import { describeValue } from './kv-model.ts';

/** A non-linearizable key, cut down to a window that fails on its own. */
export interface Failure {
  readonly key: string;
  /** Sorted by call time. On its own (from initialValue) it is not linearizable. */
  readonly window: HistoryRecord[];
  /** 'unknown' when earlier puts were cut: the window fails whatever the key held before. */
  readonly initialValue: InitialValue;
  /** One line: which key, and the most specific reason found for why no order works. */
  readonly explanation: string;
}

/**
 * Names the violation in one line. It tries patterns from the most specific (a value nobody
 * wrote) to the general one; each pattern only states facts about the records, so a wrong
 * guess can make the line vaguer but never false.
 */
export function explainWindow(key: string, window: readonly HistoryRecord[], keyRecords: readonly HistoryRecord[]): string {
  const gets = window.filter((record) => record.op === 'get');
  const puts = window.filter((record) => record.op === 'put');
  const detail =
    explainNotWritten(gets, keyRecords) ??
    explainAbsentAfterWrite(gets, puts, keyRecords) ??
    explainStaleRead(gets, puts) ??
    explainReadsChanged(gets, puts) ??
    explainGeneric(gets);
  const summary =
    window.length === 1
      ? 'this operation has no explanation'
      : `no order of these ${window.length} operations explains every result`;
  return `${JSON.stringify(key)}: ${summary}; ${detail}`;
}

/** A get of a value that no put of the key wrote, or none had started writing yet. */
function explainNotWritten(gets: readonly HistoryRecord[], keyRecords: readonly HistoryRecord[]): string | null {
  for (const get of gets) {
    const value = get.result ?? null;
    if (value === null) continue;
    const writes = keyRecords.filter((record) => record.op === 'put' && (record.value ?? null) === value);
    if (writes.length === 0) {
      return `${describeGet(get)}, but no put to ${JSON.stringify(get.path)} ever wrote ${describeValue(value)}`;
    }
    const firstCall = Math.min(...writes.map((write) => write.call));
    const getReturn = get.return ?? Infinity;
    if (firstCall > getReturn) {
      return `${describeGet(get)}, but the first put of ${describeValue(value)} was called only at ${firstCall}`;
    }
  }
  return null;
}

function explainAbsentAfterWrite(
  gets: readonly HistoryRecord[],
  puts: readonly HistoryRecord[],
  keyRecords: readonly HistoryRecord[],
): string | null {
  // Without deletes, once a put of a value took effect the key is never absent again.
  if (keyRecords.some((record) => record.op === 'put' && (record.value ?? null) === null)) return null;
  for (const get of gets) {
    if ((get.result ?? null) !== null) continue;
    const put = puts.find((record) => finishedAt(record) < get.call);
    if (put !== undefined) return `${describeGet(get)}, but ${describePut(put)} had already returned at ${finishedAt(put)}`;
  }
  return null;
}

/** A get of a value that a put which finished before the get began had overwritten. */
function explainStaleRead(gets: readonly HistoryRecord[], puts: readonly HistoryRecord[]): string | null {
  for (const get of gets) {
    const value = get.result ?? null;
    const writes = puts.filter((record) => (record.value ?? null) === value);
    const overwrite = puts.find(
      (record) =>
        (record.value ?? null) !== value &&
        finishedAt(record) < get.call &&
        writes.every((write) => finishedAt(write) < record.call),
    );
    if (overwrite === undefined) continue;
    const after =
      writes.length === 0
        ? `and no put of ${describeValue(value)} here comes after it`
        : `after every put of ${describeValue(value)} here had returned`;
    return `${describeGet(get)}, a stale value: ${describePut(overwrite)} had already overwritten it (returned at ${finishedAt(overwrite)}) ${after}`;
  }
  return null;
}

/** Two gets in sequence that saw different values with no write of the second between them. */
function explainReadsChanged(gets: readonly HistoryRecord[], puts: readonly HistoryRecord[]): string | null {
  for (const later of gets) {
    for (const earlier of gets) {
      const value = later.result ?? null;
      if ((earlier.result ?? null) === value || !(finishedAt(earlier) < later.call)) continue;
      // A put of the later value that finished before the earlier get began cannot land between.
      const writes = puts.filter((record) => (record.value ?? null) === value);
      if (!writes.every((write) => finishedAt(write) < earlier.call)) continue;
      return (
        `${describeGet(later)}, but get by client ${earlier.client} had already returned ` +
        `${describeValue(earlier.result ?? null)} at ${finishedAt(earlier)}, and no put of ` +
        `${describeValue(value)} here can take effect between the two`
      );
    }
  }
  return null;
}

function explainGeneric(gets: readonly HistoryRecord[]): string {
  // A window of puts alone always linearizes, so a failing window holds a get.
  const last = gets.reduce<HistoryRecord | undefined>((latest, get) => (latest === undefined || get.call >= latest.call ? get : latest), undefined);
  return last === undefined ? 'the results contradict each other' : `for one, ${describeGet(last)}`;
}

/** When the operation had certainly taken effect; Infinity if its outcome is unknown. */
function finishedAt(record: HistoryRecord): number {
  if (record.op === 'put' && record.ok !== true) return Infinity;
  return record.return ?? Infinity;
}

function describeGet(get: HistoryRecord): string {
  return `get by client ${get.client} ${describeInterval(get)} returned ${describeValue(get.result ?? null)}`;
}

function describePut(put: HistoryRecord): string {
  return `put ${describeValue(put.value ?? null)} by client ${put.client}`;
}

function describeInterval(record: HistoryRecord): string {
  return `[${record.call}, ${describeTime(finishedAt(record))}]`;
}

function describeTime(time: number): string {
  return time === Infinity ? '∞' : String(time);
}

/** A readable multi-line report: a header, one line per operation by call time, the reason. */
export function formatFailure(failure: Failure): string {
  const start =
    failure.initialValue === 'absent'
      ? `starting from ${JSON.stringify(failure.key)} absent`
      : `starting from whatever ${JSON.stringify(failure.key)} held before them (earlier operations cut)`;
  const lines = [`not linearizable: key ${JSON.stringify(failure.key)}, ${failure.window.length} operations, ${start}:`];
  const sorted = [...failure.window].sort((a, b) => a.call - b.call);
  for (const record of sorted) lines.push(`  ${formatRecord(record)}`);
  lines.push(failure.explanation);
  return lines.join('\n');
}

function formatRecord(record: HistoryRecord): string {
  const client = `client ${String(record.client)}`.padEnd(10);
  const what =
    record.op === 'get'
      ? `get ${record.path} -> ${describeValue(record.result ?? null)}`
      : `${record.op} ${record.path} ${describeValue(record.value ?? null)}`;
  const unknown =
    record.op === 'put' && record.ok !== true
      ? record.return === null
        ? '  (never returned)'
        : `  (outcome unknown; gave up at ${record.return})`
      : '';
  return `${client} ${what.padEnd(28)} ${describeInterval(record)}${unknown}`;
}
