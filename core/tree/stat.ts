import * as v from 'valibot';
import type { Zxid } from '../zxid.ts';
import type { ZNode } from './znode.ts';

/** A zxid as it appears inside a stat: a plain JSON object, the shape of core/zxid.ts's Zxid. */
export type StatZxid = { readonly epoch: number; readonly counter: number };

/**
 * ZooKeeper's Stat, field for field. `ephemeralOwner` is the owning session id, or null where
 * ZooKeeper says 0. `dataLength` counts UTF-8 bytes of the data string.
 */
export type Stat = {
  readonly czxid: StatZxid;
  readonly mzxid: StatZxid;
  readonly pzxid: StatZxid;
  readonly ctime: number;
  readonly mtime: number;
  readonly version: number;
  readonly cversion: number;
  readonly aversion: number;
  readonly ephemeralOwner: string | null;
  readonly dataLength: number;
  readonly numChildren: number;
};

/**
 * The client-visible cversion, computed as ZooKeeper's DataNode.copyStat does: the node stores how
 * many children were ever created under it, and every child still present is one create without
 * its delete, so creates + deletes = 2 × creates − live children.
 */
export function clientCversion(node: ZNode): number {
  return node.childCreates * 2 - node.children.size;
}

/**
 * The leading fields a Stat and a snapshot entry share, stored as they are, in the order both
 * print them (fresh zxid objects: callers may keep them past later writes).
 */
export function storedStatFields(node: ZNode): Pick<Stat, 'czxid' | 'mzxid' | 'pzxid' | 'ctime' | 'mtime' | 'version'> {
  return {
    czxid: copyZxid(node.czxid),
    mzxid: copyZxid(node.mzxid),
    pzxid: copyZxid(node.pzxid),
    ctime: node.ctime,
    mtime: node.mtime,
    version: node.version,
  };
}

/** A fresh Stat of `node` (nothing in it is shared with the live tree). */
export function statOf(node: ZNode): Stat {
  return {
    ...storedStatFields(node),
    cversion: clientCversion(node),
    aversion: node.aversion,
    ephemeralOwner: node.ephemeralOwner,
    dataLength: node.dataLength,
    numChildren: node.children.size,
  };
}

export function copyZxid(zxid: Zxid): StatZxid {
  return { epoch: zxid.epoch, counter: zxid.counter };
}

const StatZxidSchema = v.strictObject({
  epoch: v.pipe(v.number(), v.integer(), v.minValue(0)),
  counter: v.pipe(v.number(), v.integer(), v.minValue(0)),
});

/** A Stat as it crosses a boundary (the gateway's answers, a trace file): checked field for field. */
export const StatSchema = v.object({
  czxid: StatZxidSchema,
  mzxid: StatZxidSchema,
  pzxid: StatZxidSchema,
  ctime: v.number(),
  mtime: v.number(),
  version: v.number(),
  cversion: v.number(),
  aversion: v.number(),
  ephemeralOwner: v.nullable(v.string()),
  dataLength: v.number(),
  numChildren: v.number(),
});
// The schema checks exactly the Stat type: a field in one and not the other fails to compile.
type Mutual<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const statSchemaIsTheStat: Mutual<v.InferOutput<typeof StatSchema>, Stat> = true;
void statSchemaIsTheStat;
