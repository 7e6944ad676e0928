import {
  decide,
  describeInput,
  describeOutcome,
  describeOutput,
  initialTree,
  zkModel,
  type ZkOperation,
  type ZkTree,
} from './zk-model.ts';
import { zkOperationsFromHistory, type ZkHistoryRecord } from './zk-records.ts';

/**
 * Names the violation in one line. Call order always respects real time (an operation that
 * returned before another was called was also called before it), so if every result fitted
 * the tree in call order, that order would be a linearization. A failing window therefore
 * has a first operation that does not fit in call order; the line names it and what the
 * tree would have answered there. That is a fact about one order, stated as such: the other
 * orders fail too, possibly elsewhere.
 */
export function explainZkWindow(partition: string, window: readonly ZkHistoryRecord[]): string {
  const summary =
    window.length === 1
      ? 'this operation has no explanation'
      : `no order of these ${window.length} operations explains every result`;
  const operations = [...zkOperationsFromHistory(window).operations].sort((a, b) => a.call - b.call);
  const misfit = firstMisfitInCallOrder(operations);
  const detail =
    misfit === null
      ? 'every result fits in call order, yet the search found no linearization (a checker bug?)'
      : `taken in call order, the first result that does not fit is ${describeOperation(misfit.operation)}, ` +
        `where the tree would have answered ${describeOutcome(misfit.operation.input.op, decide(misfit.tree, misfit.operation.input))}`;
  return `${JSON.stringify(partition)}: ${summary}; ${detail}`;
}

function firstMisfitInCallOrder(operations: readonly ZkOperation[]): { operation: ZkOperation; tree: ZkTree } | null {
  let tree = initialTree();
  for (const operation of operations) {
    const stepped = zkModel.step(tree, operation.input, operation.output);
    if (!stepped.ok) return { operation, tree };
    tree = stepped.state;
  }
  return null;
}

function describeOperation(operation: ZkOperation): string {
  const returned = operation.return === Infinity ? '∞' : String(operation.return);
  return `${describeInput(operation.input)} by client ${String(operation.clientId)} [${operation.call}, ${returned}] -> ${describeOutput(operation.input.op, operation.output)}`;
}

/** One operation: client, op, path, data and version, result or error, [call, return]. */
export function formatZkRecord(record: ZkHistoryRecord, isGhost = false): string {
  const client = `client ${String(record.client)}`.padEnd(10);
  const what = describeRecordInput(record);
  const returned = record.return === null ? '∞' : String(record.return);
  const marker = isGhost ? ' *' : '';
  return `${client} ${what.padEnd(36)} -> ${describeRecordResult(record).padEnd(22)} [${record.call}, ${returned}]${marker}`;
}

function describeRecordInput(record: ZkHistoryRecord): string {
  const data = JSON.stringify(record.value ?? '');
  const version = record.version === undefined || record.version === null || record.version === -1 ? 'any version' : `version ${record.version}`;
  switch (record.op) {
    case 'create':
      return `create ${record.path} ${data}${record.sequential === true ? ' sequential' : ''}`;
    case 'setData':
      return `setData ${record.path} ${data} ${version}`;
    case 'delete':
      return `delete ${record.path} ${version}`;
    default:
      return `${record.op} ${record.path}`;
  }
}

function describeRecordResult(record: ZkHistoryRecord): string {
  if (record.ok === null || record.return === null) {
    return record.return === null ? 'outcome unknown (never returned)' : 'outcome unknown';
  }
  if (record.ok === false) return typeof record.result === 'string' ? record.result : JSON.stringify(record.result ?? null);
  const [operation] = zkOperationsFromHistory([record]).operations;
  if (operation === undefined || operation.output.kind !== 'ok') return JSON.stringify(record.result ?? null);
  return describeOutput(operation.input.op, operation.output);
}
