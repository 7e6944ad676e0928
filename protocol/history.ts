import type { HistoryRecord as CheckedRecord } from '../core/sim/linearizability/history.ts';
import type { Json } from '../core/types.ts';
import type { GatewayOp, GatewayResult, Stat } from './gateway-ops.ts';

/**
 * The call/return history `--history out.json` and the page's `history()` write: the checker's
 * record (core/sim/linearizability/history.ts, the format's one definition), one per operation
 * `{client, op, path, value, version, call, return, ok, result}`, with the ZooKeeper
 * conventions of the checker's ZooKeeper records (zk-records.ts):
 *
 * - `op` is the ZooKeeper API name: create, setData, delete, getData, exists, getChildren
 *   (the CLI's set, get and ls). A `stat` is recorded as the `exists` it is equivalent to (the
 *   version, or null for NoNode). A `sync` changes and reads nothing, so it is not recorded.
 * - `value` is the data of create and setData, `version` the expected version of setData and
 *   delete, `sequential` (and `ephemeral`) mark a create's flags.
 * - success: `ok` true and `result` create -> the created path, setData -> the new version,
 *   delete -> null, getData -> {data, version}, exists -> the version or null,
 *   getChildren -> the child names.
 * - failure: `ok` false and `result` the ZooKeeper error name.
 * - unknown outcome (ConnectionLoss, OperationTimeout, SessionExpired: the write may or may not
 *   have taken effect): `ok` null, `return` null, `result` the error name.
 *
 * Times are ms on a clock shared by every process of the machine (wall clock at the process's
 * start plus a monotonic offset), so histories of several CLIs can be merged and checked together.
 */
export type HistoryRecord = CheckedRecord<Json>;

const UNKNOWN_OUTCOME = new Set(['ConnectionLoss', 'OperationTimeout', 'SessionExpired']);
const API_NAMES = { create: 'create', set: 'setData', delete: 'delete', get: 'getData', exists: 'exists', stat: 'exists', ls: 'getChildren' } as const;

/** Milliseconds on a clock comparable across processes, with sub-millisecond resolution. */
export function historyNow(): number {
  return performance.timeOrigin + performance.now();
}

/** The record of one operation, or null for an operation the history leaves out (sync). */
export function historyRecord(client: string, op: GatewayOp, call: number, returned: number, result: GatewayResult): HistoryRecord | null {
  if (op.op === 'sync') return null;
  const base = {
    client,
    op: API_NAMES[op.op],
    path: op.path,
    value: op.op === 'create' || op.op === 'set' ? op.data : null,
    version: op.op === 'set' || op.op === 'delete' ? op.version : null,
    ...(op.op === 'create' ? { sequential: op.sequential, ephemeral: op.ephemeral } : {}),
    call,
  };
  if (result.ok) return { ...base, return: returned, ok: true, result: resultOf(op, result.value) };
  if (UNKNOWN_OUTCOME.has(result.error)) return { ...base, return: null, ok: null, result: result.error };
  // A stat of a missing znode is an exists that answered null.
  if (op.op === 'stat' && result.error === 'NoNode') return { ...base, return: returned, ok: true, result: null };
  return { ...base, return: returned, ok: false, result: result.error };
}

function resultOf(op: GatewayOp, value: Json): Json {
  switch (op.op) {
    case 'set':
    case 'stat':
      return (value as Stat).version;
    case 'exists':
      return value === null ? null : (value as Stat).version;
    case 'get': {
      const { data, stat } = value as { data: string; stat: Stat };
      return { data, version: stat.version };
    }
    default:
      return value; // create: the path; delete: null; ls: the names
  }
}

/** The file's text: a JSON array with one record per line, readable and diffable. */
export function historyJson(records: readonly HistoryRecord[]): string {
  if (records.length === 0) return '[]\n';
  return `[\n${records.map((record) => `  ${JSON.stringify(record)}`).join(',\n')}\n]\n`;
}
