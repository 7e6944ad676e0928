import type { ZabNode } from '../../core/node.ts';
import { withTimeout } from '../../lib/deadline.ts';

/**
 * Resolves true once the node serves, false if it does not within `timeoutMs` (or is gone).
 * Requests that arrive between leaders wait here (as a ZooKeeper client's requests wait while
 * it reconnects) instead of failing at once. No polling: the node says when it serves again
 * (or stops for good).
 */
export async function untilServing(node: ZabNode | null, timeoutMs: number): Promise<boolean> {
  if (node === null || node.serving) return node?.serving ?? false;
  let stop = () => {};
  const changed = new Promise<boolean>((resolve) => {
    stop = node.onServingChange((serving) => {
      if (serving || node.stopped) resolve(serving);
    });
  });
  try {
    return await withTimeout(changed, timeoutMs, () => node.serving);
  } finally {
    stop();
  }
}
