/**
 * ZooKeeper's error names (KeeperException.Code), the ones TabKeeper can produce. The tree itself
 * produces the first six and SessionExpired; ConnectionLoss and OperationTimeout come from the
 * client layer, and BadArguments also from the boundary (`validateOp`).
 */
export const ZOOKEEPER_ERROR_CODES = [
  'NoNode',
  'NodeExists',
  'BadVersion',
  'NotEmpty',
  'NoChildrenForEphemerals',
  'BadArguments',
  'ConnectionLoss',
  'SessionExpired',
  'OperationTimeout',
] as const;

export type ZooKeeperErrorCode = (typeof ZOOKEEPER_ERROR_CODES)[number];

/**
 * What each op of a failed multi reports, as ZooKeeper's OpResult.ErrorResult list: the ops before
 * the failing one get `Ok` (they would have succeeded), the failing one its own error, the ops
 * after it `RuntimeInconsistency` (never tried). See DataTree.processTxn, case multi.
 */
export const MULTI_OP_ERROR_CODES = ['Ok', 'RuntimeInconsistency', ...ZOOKEEPER_ERROR_CODES] as const;

export type MultiOpErrorCode = (typeof MULTI_OP_ERROR_CODES)[number];
