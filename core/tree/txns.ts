import * as v from 'valibot';
import { MULTI_OP_ERROR_CODES, ZOOKEEPER_ERROR_CODES } from './errors.ts';
import type { MultiOpErrorCode, ZooKeeperErrorCode } from './errors.ts';
import type { Stat } from './stat.ts';

/**
 * Txns: what prepare decides on the leader and every server applies. They carry every decision
 * that depends on state or time (final sequential name, times, ephemeral owner, new version,
 * errors), so apply needs nothing but the txn and its zxid. The zxid itself is not in the txn: the
 * ZAB core hands it to apply.
 */
export type CreateTxn = {
  readonly type: 'create';
  /** The final path: a sequential create's suffix is already in it. */
  readonly path: string;
  readonly data: string;
  readonly ephemeralOwner: string | null;
  readonly timeMs: number;
};
export type DeleteTxn = { readonly type: 'delete'; readonly path: string };
/** `version` is the node's new version (ZooKeeper's SetDataTxn carries it the same way). */
export type SetDataTxn = {
  readonly type: 'setData';
  readonly path: string;
  readonly data: string;
  readonly version: number;
  readonly timeMs: number;
};
/** A CheckVersion op that passed: it changes nothing, but has its place in the multi's results. */
export type CheckTxn = { readonly type: 'check'; readonly path: string };
export type MultiSubTxn = CreateTxn | DeleteTxn | SetDataTxn | CheckTxn;
export type MultiTxn = { readonly type: 'multi'; readonly txns: readonly MultiSubTxn[] };
export type CreateSessionTxn = { readonly type: 'createSession'; readonly sessionId: string; readonly timeoutMs: number };
/** As ZooKeeper's CloseSessionTxn, it names the ephemerals to delete (sorted), decided by prepare. */
export type CloseSessionTxn = { readonly type: 'closeSession'; readonly sessionId: string; readonly paths: readonly string[] };
/** A request that failed in prepare: applying it changes nothing and answers the error. */
export type ErrorTxn = { readonly type: 'error'; readonly error: ZooKeeperErrorCode; readonly path: string | null };
/** A multi that failed in prepare, with the results ZooKeeper gives for each op. */
export type MultiErrorTxn = {
  readonly type: 'multiError';
  readonly error: ZooKeeperErrorCode;
  readonly failedIndex: number;
  readonly results: readonly MultiErrorResult[];
};
export type TreeTxn = CreateTxn | DeleteTxn | SetDataTxn | MultiTxn | CreateSessionTxn | CloseSessionTxn | ErrorTxn | MultiErrorTxn;

/** ZooKeeper's OpResult subclasses, as JSON. A create gives its final path and, as create2, its stat. */
export type MultiOpResult =
  | { readonly type: 'create'; readonly path: string; readonly stat: Stat }
  | { readonly type: 'delete' }
  | { readonly type: 'setData'; readonly stat: Stat }
  | { readonly type: 'check' };
/** OpResult.ErrorResult: what every op of a failed multi reports. */
export type MultiErrorResult = { readonly type: 'error'; readonly error: MultiOpErrorCode };

/**
 * The shapes again, for apply's guard: a txn arrives from the leader over the network, and a
 * malformed one is a bug that must stop the server, not corrupt its tree.
 */
const PathSchema = v.string();
const TimeSchema = v.pipe(v.number(), v.finite());
const CreateTxnSchema = v.strictObject({
  type: v.literal('create'),
  path: PathSchema,
  data: v.string(),
  ephemeralOwner: v.nullable(v.string()),
  timeMs: TimeSchema,
});
const DeleteTxnSchema = v.strictObject({ type: v.literal('delete'), path: PathSchema });
const SetDataTxnSchema = v.strictObject({
  type: v.literal('setData'),
  path: PathSchema,
  data: v.string(),
  version: v.pipe(v.number(), v.integer(), v.minValue(1)),
  timeMs: TimeSchema,
});
const CheckTxnSchema = v.strictObject({ type: v.literal('check'), path: PathSchema });
const MultiErrorResultSchema = v.strictObject({ type: v.literal('error'), error: v.picklist(MULTI_OP_ERROR_CODES) });

export const TxnSchema = v.variant('type', [
  CreateTxnSchema,
  DeleteTxnSchema,
  SetDataTxnSchema,
  v.strictObject({ type: v.literal('multi'), txns: v.array(v.variant('type', [CreateTxnSchema, DeleteTxnSchema, SetDataTxnSchema, CheckTxnSchema])) }),
  v.strictObject({ type: v.literal('createSession'), sessionId: v.string(), timeoutMs: v.number() }),
  v.strictObject({ type: v.literal('closeSession'), sessionId: v.string(), paths: v.array(PathSchema) }),
  v.strictObject({ type: v.literal('error'), error: v.picklist(ZOOKEEPER_ERROR_CODES), path: v.nullable(PathSchema) }),
  v.strictObject({
    type: v.literal('multiError'),
    error: v.picklist(ZOOKEEPER_ERROR_CODES),
    failedIndex: v.pipe(v.number(), v.integer(), v.minValue(0)),
    results: v.array(MultiErrorResultSchema),
  }),
]);

/** What ZooKeeper's client sees for each op of a multi that failed at `failedIndex` with `error`. */
export function multiErrorResults(count: number, failedIndex: number, error: ZooKeeperErrorCode): MultiErrorResult[] {
  const results: MultiErrorResult[] = [];
  for (let index = 0; index < count; index++) {
    const code: MultiOpErrorCode = index < failedIndex ? 'Ok' : index === failedIndex ? error : 'RuntimeInconsistency';
    results.push({ type: 'error', error: code });
  }
  return results;
}
