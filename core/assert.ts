/**
 * Assertions for broken invariants. They stay on in production: a server whose state is wrong
 * must stop rather than acknowledge or serve anything. Expected conditions (bad input, stale
 * messages) are never asserted: they are logged and dropped.
 */
export class AssertionError extends Error {
  override name = 'AssertionError';
}

export function assert(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) throw new AssertionError(typeof message === 'function' ? message() : message);
}
