import type { TreeSnapshot } from './snapshot.ts';

/**
 * A fast check that a value has exactly the shape of TreeSnapshotSchema (snapshot.ts), for the
 * snapshots that restore: valibot's walk of 100k znodes took ~140 ms of each reload or SNAP
 * install (0.84 s of the six restores of core/sim/big-tree-scenario.test.ts), this one ~20 ms.
 * It must never accept what the schema refuses (the schema stays the authority:
 * stateFromSnapshot asks it whenever this says no, for its error message, and
 * snapshot-shape.test.ts holds both to the same answers); refusing more would only be slower.
 */
export function hasTreeSnapshotShape(value: unknown): value is TreeSnapshot {
  if (!isRecord(value, 3) || value.format !== 'tabkeeper.data-tree.v1') return false;
  const { nodes, sessions } = value;
  if (!Array.isArray(nodes) || !Array.isArray(sessions)) return false;
  for (const node of nodes) if (!isSnapshotNode(node)) return false;
  for (const session of sessions) if (!isSnapshotSession(session)) return false;
  return true;
}

/** Keys of SnapshotNodeSchema: a strict object has these and no other. */
const NODE_KEYS = 11;

export function isSnapshotNode(value: unknown): boolean {
  return (
    isRecord(value, NODE_KEYS) &&
    typeof value.path === 'string' &&
    typeof value.data === 'string' &&
    isZxid(value.czxid) &&
    isZxid(value.mzxid) &&
    isZxid(value.pzxid) &&
    isFiniteNumber(value.ctime) &&
    isFiniteNumber(value.mtime) &&
    isCount(value.version) &&
    isCount(value.aversion) &&
    (value.ephemeralOwner === null || typeof value.ephemeralOwner === 'string') &&
    isCount(value.childCreates)
  );
}

function isSnapshotSession(value: unknown): boolean {
  return isRecord(value, 2) && typeof value.sessionId === 'string' && value.sessionId.length >= 1 && isCount(value.timeoutMs);
}

function isZxid(value: unknown): boolean {
  return isRecord(value, 2) && isCount(value.epoch) && isCount(value.counter);
}

/** A plain object with exactly `keys` own keys (the named ones are checked by the caller). */
function isRecord(value: unknown, keys: number): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  let count = 0;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) return false;
    count++;
  }
  return count === keys;
}

function isCount(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

function isFiniteNumber(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value);
}
