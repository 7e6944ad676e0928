import type { ZabNode } from '../../core/node.ts';

/**
 * Resolves true once the node serves, false if it does not within `timeoutMs` (or is gone).
 * Requests that arrive between leaders wait here (as a ZooKeeper client's requests wait while
 * it reconnects) instead of failing at once. No polling: the node says when it serves again
 * (or stops for good).
 */
export async function untilServing(node: ZabNode | null, timeoutMs: number): Promise<boolean> {
  if (node === null || node.serving) return node?.serving ?? false;
  return new Promise((resolve) => {
    const finish = (serving: boolean) => {
      window.clearTimeout(timer);
      stop();
      resolve(serving);
    };
    const timer = window.setTimeout(() => finish(node.serving), timeoutMs);
    const stop = node.onServingChange((serving) => {
      if (serving || node.stopped) finish(serving);
    });
  });
}
