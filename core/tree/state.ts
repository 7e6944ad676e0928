import { ROOT_PATH } from './paths.ts';
import type { Session, Sessions } from './sessions.ts';
import { createRootZNode } from './znode.ts';
import type { ZNode } from './znode.ts';

/**
 * The whole replicated state: znodes by full path and the live sessions. apply.ts is the only
 * writer; prepare.ts and queries read it through the read-only view.
 *
 * Invariants: the root exists; every other node's parent exists, lists it among its children and
 * is not ephemeral; a node is ephemeral iff its owner session is live and lists its path.
 */
export interface TreeState {
  readonly nodes: Map<string, ZNode>;
  readonly sessions: Sessions;
}

export interface ReadonlyTreeState {
  readonly nodes: ReadonlyMap<string, Readonly<ZNode>>;
  readonly sessions: ReadonlyMap<string, Session>;
}

export function createTreeState(): TreeState {
  return { nodes: new Map([[ROOT_PATH, createRootZNode()]]), sessions: new Map() };
}
