/**
 * A Porcupine-style linearizability checker (github.com/anishathalye/porcupine): a generic
 * Wing–Gong–Lowe search over Porcupine-shaped models, the kv register model, and a front
 * door for recorded histories that explains a failure with a small window.
 */
export { checkHistory, type CheckHistoryOptions, type CheckResult } from './check-history.ts';
export {
  DEFAULT_MAX_STEPS,
  checkOperations,
  checkOperationsTimeout,
  type SearchLimits,
} from './checker.ts';
export { explainWindow, formatFailure, type Failure } from './explain.ts';
export { parseHistory, type HistoryRecord } from './history.ts';
export { checkKvRecords, kvOperationsFromHistory, type InitialValue, type KvOperations } from './kv-history.ts';
export {
  ANY_VALUE,
  kvModel,
  kvModelFromAnyValue,
  type KvInput,
  type KvOperation,
  type KvOutput,
  type KvValue,
  type KvValueOrAny,
} from './kv-model.ts';
export type { CheckVerdict, Model, Operation, StepResult } from './model.ts';
export { findFailingWindow, type FailingWindow, type WindowLimits } from './window.ts';
export {
  checkZkHistory,
  formatZkFailure,
  type ZkCheckOptions,
  type ZkCheckResult,
  type ZkFailure,
} from './zk-history.ts';
export { parseZkHistory, zkOperationsFromHistory, type ZkHistoryRecord, type ZkOperations } from './zk-records.ts';
export {
  ZK_ERROR_NAMES,
  partitionByTopLevelNode,
  zkModel,
  type ZkDataResult,
  type ZkErrorName,
  type ZkInput,
  type ZkNode,
  type ZkOperation,
  type ZkOutput,
  type ZkResult,
  type ZkTree,
} from './zk-model.ts';
export { findZkFailingWindow, type ZkFailingWindow } from './zk-window.ts';
