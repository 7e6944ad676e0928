import * as v from 'valibot';
import { MAX_DATA_LENGTH } from './gateway-ops.ts';
import { MAX_MULTI_OPS, MAX_PATH_LENGTH } from '../core/tree/limits.ts';
import { WATCHED_EVENT_TYPES } from '../core/tree/events.ts';

/**
 * What the ZooKeeper listener (zookeeper/) asks a tab through the signaling server's gateway, and
 * what the tab answers. A ZooKeeper session is one TabKeeperClient session in the tab it is
 * attached to (client-app/app/zookeeper-sessions.ts); its id is the gateway client id. The
 * signaling server relays these like the CLI's ops (opaque JSON); the tab tells them apart by
 * the `zk` field. The browser imports this file: no Node imports.
 *
 * - attach: start (or, with `resume`, take over) the session in this tab, once the tab has
 *   applied `lastZxid`; SessionExpired if a resumed session is gone.
 * - request: one ZooKeeper operation; reads may set a one-shot watch.
 * - setWatches: ZooKeeper's SetWatches after a reconnect: fire what changed since
 *   `relativeZxid`, set the rest again.
 * - poll: held until a watch fires (or `waitMs`): how watch events reach an idle client.
 * - ping: the client is alive (touches the session). close: closeSession. detach: the TCP
 *   connection went away; the session lives on until the leader expires it. `link` names the
 *   attach a detach undoes, so a late detach of an old connection cannot undo a newer attach.
 *
 * Every answer carries the zxid the tab had applied (the reply header's zxid) and the watch
 * events fired since the last answer, which the listener writes before the reply itself.
 */

const ZxidSchema = v.strictObject({
  epoch: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(0xffff_ffff)),
  counter: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(0xffff_ffff)),
});
const PathSchema = v.pipe(v.string(), v.maxLength(MAX_PATH_LENGTH));
const DataSchema = v.pipe(v.string(), v.maxLength(MAX_DATA_LENGTH));
const VersionSchema = v.pipe(v.number(), v.integer(), v.minValue(-1), v.maxValue(0x7fff_ffff));
const LinkSchema = v.pipe(v.string(), v.maxLength(64));
const PathsSchema = v.pipe(v.array(PathSchema), v.maxLength(1000));

const CreateSchema = v.strictObject({ type: v.literal('create'), path: PathSchema, data: DataSchema, ephemeral: v.boolean(), sequential: v.boolean() });
const DeleteSchema = v.strictObject({ type: v.literal('delete'), path: PathSchema, version: VersionSchema });
const SetDataSchema = v.strictObject({ type: v.literal('setData'), path: PathSchema, data: DataSchema, version: VersionSchema });
const CheckSchema = v.strictObject({ type: v.literal('check'), path: PathSchema, version: VersionSchema });
const readSchema = <const T extends string>(type: T) => v.strictObject({ type: v.literal(type), path: PathSchema, watch: v.boolean() });

export const ZkMultiOpSchema = v.variant('type', [CreateSchema, DeleteSchema, SetDataSchema, CheckSchema]);
export const ZkRequestSchema = v.variant('type', [
  CreateSchema,
  DeleteSchema,
  SetDataSchema,
  v.strictObject({ type: v.literal('multi'), ops: v.pipe(v.array(ZkMultiOpSchema), v.maxLength(MAX_MULTI_OPS)) }),
  readSchema('getData'),
  readSchema('exists'),
  readSchema('getChildren'),
  v.strictObject({ type: v.literal('sync'), path: PathSchema }),
]);

export const ZkTabOpSchema = v.variant('zk', [
  v.strictObject({
    zk: v.literal('attach'),
    timeoutMs: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(0x7fff_ffff)),
    resume: v.boolean(),
    lastZxid: ZxidSchema,
    link: LinkSchema,
  }),
  v.strictObject({ zk: v.literal('request'), request: ZkRequestSchema }),
  v.strictObject({ zk: v.literal('setWatches'), relativeZxid: ZxidSchema, data: PathsSchema, exist: PathsSchema, child: PathsSchema }),
  v.strictObject({ zk: v.literal('poll'), waitMs: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(30_000)) }),
  v.strictObject({ zk: v.literal('ping') }),
  v.strictObject({ zk: v.literal('close') }),
  v.strictObject({ zk: v.literal('detach'), link: LinkSchema }),
]);

export type ZkRequest = v.InferOutput<typeof ZkRequestSchema>;
export type ZkMultiOp = v.InferOutput<typeof ZkMultiOpSchema>;
export type ZkTabOp = v.InferOutput<typeof ZkTabOpSchema>;

/** Is this gateway op meant for the ZooKeeper sessions of a tab (rather than the CLI's)? */
export function isZkTabOp(op: unknown): boolean {
  return typeof op === 'object' && op !== null && 'zk' in op;
}

export const ZkEventSchema = v.strictObject({ type: v.picklist(WATCHED_EVENT_TYPES), path: v.string() });
export type ZkEvent = v.InferOutput<typeof ZkEventSchema>;

/** A tab's answer: `value` is the tree's (ApplyResult's) value; `details` of a failed multi name the failing op. */
export const ZkTabResultSchema = v.variant('ok', [
  v.object({ ok: v.literal(true), value: v.unknown(), zxid: ZxidSchema, events: v.array(ZkEventSchema) }),
  v.object({ ok: v.literal(false), error: v.string(), details: v.optional(v.unknown()), zxid: ZxidSchema, events: v.array(ZkEventSchema) }),
]);
export type ZkTabResult = v.InferOutput<typeof ZkTabResultSchema>;
