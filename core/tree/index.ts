export { DataTree } from './data-tree.ts';
export { MULTI_OP_ERROR_CODES, ZOOKEEPER_ERROR_CODES } from './errors.ts';
export type { MultiOpErrorCode, ZooKeeperErrorCode } from './errors.ts';
export { WATCHED_EVENT_TYPES } from './events.ts';
export type { TreeEvent, WatchedEventType } from './events.ts';
export { MAX_DATA_BYTES, MAX_MULTI_OPS, MAX_PATH_LENGTH, MAX_SESSION_ID_LENGTH, utf8ByteLength } from './limits.ts';
export { childPath, parentPath, ROOT_PATH, validateCreatePath, validatePath } from './paths.ts';
export { checkRequest, isReadRequest, RequestSchema, ReadRequestSchema, WriteRequestSchema } from './requests.ts';
export type {
  CheckRequest,
  CloseSessionRequest,
  CreateRequest,
  CreateSessionRequest,
  DeleteRequest,
  MultiCreateOp,
  MultiOp,
  MultiRequest,
  ReadRequest,
  SetDataRequest,
  TreeRequest,
  WriteRequest,
} from './requests.ts';
export { SNAPSHOT_FORMAT } from './snapshot.ts';
export type { TreeSnapshot } from './snapshot.ts';
export type { Stat, StatZxid } from './stat.ts';
export type {
  CheckTxn,
  CloseSessionTxn,
  CreateSessionTxn,
  CreateTxn,
  DeleteTxn,
  ErrorTxn,
  MultiErrorResult,
  MultiErrorTxn,
  MultiOpResult,
  MultiSubTxn,
  MultiTxn,
  SetDataTxn,
  TreeTxn,
} from './txns.ts';
