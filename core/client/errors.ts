import type { ZooKeeperErrorCode } from '../tree/index.ts';
import type { Json } from '../types.ts';

/**
 * A failed operation, carrying ZooKeeper's error name as `code` (NoNode, BadVersion,
 * ConnectionLoss…), so callers switch on it as they would on KeeperException.Code.
 */
export class ZooKeeperError extends Error {
  override name = 'ZooKeeperError';

  constructor(
    readonly code: ZooKeeperErrorCode,
    readonly path: string | null = null,
    readonly details: Json = null,
  ) {
    super(path === null ? code : `${code} ${path}`);
  }
}
