import * as v from 'valibot';
import { parseHistory, type HistoryRecord } from './history.ts';
import { ZK_ERROR_NAMES, type ZkErrorName, type ZkInput, type ZkOperation, type ZkResult } from './zk-model.ts';

/**
 * Recorded ZooKeeper client operations, checked against the data-tree model (the history
 * record of history.ts, one per operation). How a record becomes a model operation:
 * - a write (create, setData, delete) with ok=true took effect in [call, return], with
 *   `result` (the created path, the new version; null = not recorded, not checked);
 * - a write with ok=false failed with the error named in `result` in [call, return] and
 *   changed nothing; the error must fit the tree at its linearization point;
 * - a write with ok=null or return=null, or failed with ConnectionLoss, OperationTimeout or
 *   SessionExpired, may or may not have taken effect: its return is +Infinity (Porcupine's
 *   convention), so it may be linearized anywhere after its call, or never;
 * - a read (getData, exists, getChildren, each behind a sync) with ok=true or a definite
 *   error constrains the tree at its linearization point; any other read constrains nothing
 *   and is dropped.
 * `value` is the data of create and setData (null = ""), `version` the expected version of
 * setData and delete (null = -1, any), `sequential` marks a sequential create.
 */

/** A history record with the results of the ZooKeeper operations. */
export type ZkHistoryRecord = HistoryRecord<ZkResult | undefined>;

export interface ZkOperations {
  /** In record order. */
  readonly operations: ZkOperation[];
  readonly recordOf: ReadonlyMap<ZkOperation, ZkHistoryRecord>;
}

const ZK_OPS: ReadonlySet<string> = new Set(['create', 'setData', 'delete', 'getData', 'exists', 'getChildren']);
const WRITE_OPS: ReadonlySet<string> = new Set(['create', 'setData', 'delete']);
const ERROR_NAMES: ReadonlySet<string> = new Set(ZK_ERROR_NAMES);
/** Errors that leave the outcome unknown: the request may have been applied before it hit. */
const UNKNOWN_OUTCOME_ERRORS: ReadonlySet<string> = new Set(['ConnectionLoss', 'OperationTimeout', 'SessionExpired']);

export function zkOperationsFromHistory(records: readonly ZkHistoryRecord[]): ZkOperations {
  const operations: ZkOperation[] = [];
  const recordOf = new Map<ZkOperation, ZkHistoryRecord>();
  records.forEach((record, index) => {
    const operation = toZkOperation(record, index);
    if (operation === null) return;
    operations.push(operation);
    recordOf.set(operation, record);
  });
  return { operations, recordOf };
}

function toZkOperation(record: ZkHistoryRecord, index: number): ZkOperation | null {
  if (!ZK_OPS.has(record.op)) {
    throw new Error(`history record ${index}: the ZooKeeper model has no operation ${JSON.stringify(record.op)}`);
  }
  const input = toInput(record);
  const isWrite = WRITE_OPS.has(record.op);
  const base = { clientId: record.client, input, call: record.call };
  const unknown = record.ok === null || record.return === null || isUnknownOutcomeError(record);
  if (unknown) return isWrite ? { ...base, output: { kind: 'unknown' }, return: Infinity } : null;
  const returned = record.return ?? Infinity;
  if (record.ok === false) return { ...base, output: { kind: 'error', error: errorOf(record, index) }, return: returned };
  return { ...base, output: { kind: 'ok', result: resultOf(record, index) }, return: returned };
}

function toInput(record: ZkHistoryRecord): ZkInput {
  const path = record.path;
  const data = record.value ?? '';
  const version = record.version ?? -1;
  switch (record.op) {
    case 'create':
      return { op: 'create', path, data, sequential: record.sequential === true };
    case 'setData':
      return { op: 'setData', path, data, version };
    case 'delete':
      return { op: 'delete', path, version };
    default:
      return { op: record.op as 'getData' | 'exists' | 'getChildren', path };
  }
}

function isUnknownOutcomeError(record: ZkHistoryRecord): boolean {
  return record.ok === false && typeof record.result === 'string' && UNKNOWN_OUTCOME_ERRORS.has(record.result);
}

function errorOf(record: ZkHistoryRecord, index: number): ZkErrorName {
  const error = record.result;
  if (typeof error === 'string' && ERROR_NAMES.has(error)) return error as ZkErrorName;
  throw new Error(
    `history record ${index}: a failed ${record.op} must name its error in result ` +
      `(one of ${[...ERROR_NAMES, ...UNKNOWN_OUTCOME_ERRORS].join(', ')}), got ${JSON.stringify(error)}`,
  );
}

/** The result of a success, checked against its operation's shape. */
function resultOf(record: ZkHistoryRecord, index: number): ZkResult {
  const result = record.result ?? null;
  const wrongShape = (expected: string): Error =>
    new Error(`history record ${index}: a successful ${record.op} returns ${expected}, got ${JSON.stringify(result)}`);
  switch (record.op) {
    case 'create':
      if (result !== null && typeof result !== 'string') throw wrongShape('the created path (or null)');
      return result;
    case 'setData':
      if (result !== null && typeof result !== 'number') throw wrongShape('the new version (or null)');
      return result;
    case 'delete':
      if (result !== null) throw wrongShape('null');
      return null;
    case 'exists':
      if (result !== null && typeof result !== 'number') throw wrongShape('a version or null');
      return result;
    case 'getData':
      if (!isDataShape(result)) throw wrongShape('{ data: string, version: number }');
      return { data: result.data, version: result.version };
    default:
      if (!Array.isArray(result) || !result.every((name) => typeof name === 'string')) throw wrongShape('an array of child names');
      // Compared as a set of names: a recorder may keep ZooKeeper's unsorted order.
      return [...(result as readonly string[])].sort();
  }
}

function isDataShape(result: ZkResult): result is { data: string; version: number } {
  if (typeof result !== 'object' || result === null || Array.isArray(result)) return false;
  const candidate = result as { data?: unknown; version?: unknown };
  return typeof candidate.data === 'string' && typeof candidate.version === 'number';
}

const finiteNumber = v.pipe(v.number(), v.finite());
const ZkResultSchema = v.union([
  v.null(),
  v.string(),
  finiteNumber,
  v.array(v.string()),
  v.object({ data: v.string(), version: finiteNumber }),
]);

/**
 * parseHistory for ZooKeeper histories: the same checks of the common fields (and the same
 * messages), and a result of any shape the model reads instead of a string. Throws naming the
 * index of the first bad record.
 */
export function parseZkHistory(json: unknown): ZkHistoryRecord[] {
  if (!Array.isArray(json)) return parseHistory(json);
  const isRecordObject = (item: unknown): item is Record<string, unknown> => typeof item === 'object' && item !== null;
  const common = parseHistory(json.map((item: unknown) => (isRecordObject(item) ? { ...item, result: null } : item)));
  return common.map((record, index): ZkHistoryRecord => {
    const raw = json[index] as Record<string, unknown>;
    const { result: _dropped, ...rest } = record;
    if (!('result' in raw) || raw.result === undefined) return rest;
    const parsed = v.safeParse(ZkResultSchema, raw.result);
    if (!parsed.success) {
      throw new Error(`history record ${index} is invalid: result: not a ZooKeeper result (${JSON.stringify(raw.result)})`);
    }
    return { ...rest, result: parsed.output };
  });
}
