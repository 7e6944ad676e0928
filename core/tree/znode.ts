import { ZERO_ZXID } from '../zxid.ts';
import type { Zxid } from '../zxid.ts';
import { utf8ByteLength } from './limits.ts';

/**
 * One znode, as ZooKeeper's DataNode with its StatPersisted. Mutated only by apply.ts.
 *
 * `childCreates` is ZooKeeper's *persisted* cversion: how many children were ever created here,
 * sequential or not; it never goes down. The sequential suffix is taken from it (as
 * PrepRequestProcessor does with parentRecord.stat.getCversion()), and the client-visible cversion
 * is derived from it (stat.ts). The measurement on ZooKeeper 3.8 (docs/ARCHITECTURE.md; create a, create b, delete a, delete b:
 * cversion 4, next suffix 0000000002) is exactly this.
 */
export interface ZNode {
  data: string;
  /** Invariant: dataLength === utf8ByteLength(data); cached because data may be 1 MiB. */
  dataLength: number;
  czxid: Zxid;
  mzxid: Zxid;
  pzxid: Zxid;
  ctime: number;
  mtime: number;
  version: number;
  /** Always 0: TabKeeper has no ACLs, but ZooKeeper users expect the field. */
  aversion: number;
  ephemeralOwner: string | null;
  /** Invariant: childCreates >= children.size. */
  childCreates: number;
  /** Names (not paths) of the children. */
  readonly children: Set<string>;
}

export interface NewZNode {
  readonly data: string;
  readonly zxid: Zxid;
  readonly timeMs: number;
  readonly ephemeralOwner: string | null;
}

/** A new node as DataTree.createStat makes it: czxid = mzxid = pzxid = zxid, ctime = mtime = time. */
export function createZNode(fields: NewZNode): ZNode {
  const zxid = { epoch: fields.zxid.epoch, counter: fields.zxid.counter };
  return {
    data: fields.data,
    dataLength: utf8ByteLength(fields.data),
    czxid: zxid,
    mzxid: zxid,
    pzxid: zxid,
    ctime: fields.timeMs,
    mtime: fields.timeMs,
    version: 0,
    aversion: 0,
    ephemeralOwner: fields.ephemeralOwner,
    childCreates: 0,
    children: new Set(),
  };
}

/** The root of an empty tree: all zeros, as ZooKeeper's root before any txn. */
export function createRootZNode(): ZNode {
  return createZNode({ data: '', zxid: ZERO_ZXID, timeMs: 0, ephemeralOwner: null });
}
