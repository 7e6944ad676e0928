import * as v from 'valibot';
import { ZOOKEEPER_ERROR_CODES } from '../core/tree/errors.ts';
import { RequestNumberSchema } from '../core/tree/exactly-once.ts';
import { MAX_PATH_LENGTH } from '../core/tree/limits.ts';
import { pathProblem } from '../core/tree/paths.ts';
import { StatSchema, type Stat as TreeStat } from '../core/tree/stat.ts';
import type { Json } from '../core/types.ts';

/**
 * The operations a command-line client sends through the gateway, and what the tab answers.
 * The tab runs each op in that client's TabKeeperClient session; the signaling server only
 * relays them (it never imports this file). The browser tab imports it, so no Node imports.
 *
 * Values of a successful result, by op (ZooKeeper's, with zxids as {epoch, counter}):
 *   create -> the created path (with the sequential suffix, if any)
 *   get    -> { data, stat }
 *   set    -> stat (after the write)
 *   delete -> null
 *   ls     -> child names, sorted
 *   stat   -> stat
 *   sync   -> the path
 *   exists -> stat, or null when there is no such znode
 *
 * Writes (create, set, delete) may carry `requestNumber`: the CLI numbers its writes 1, 2, 3…
 * in its session, and the tab runs a numbered write as an exactly-once write of that session
 * (core/tree/exactly-once.ts). A write the CLI sends again after losing its tab, on another
 * tab, with the same number, is then applied at most once and answers its original result.
 */

/**
 * ZooKeeper's error names, as `KeeperException.Code` spells them: those the data tree and the
 * client produce, plus SystemError for an answer from a tab that the CLI cannot read.
 */
export const ZOOKEEPER_ERRORS = [...ZOOKEEPER_ERROR_CODES, 'SystemError'] as const;
export type ZooKeeperErrorName = (typeof ZOOKEEPER_ERRORS)[number];

/** Largest znode data the CLI sends (ZooKeeper's own limit is 1 MiB; the gateway's op limit is 64 KiB). */
export const MAX_DATA_LENGTH = 60 * 1024;
/**
 * Paths follow the data tree's one rule (core/tree/paths.ts): ZooKeeper's PathUtils, rule for
 * rule, and at most MAX_PATH_LENGTH (4,096) UTF-16 code units. ZooKeeper itself bounds a path only
 * by jute.maxbuffer; the CLI, the page and the ZooKeeper listener check the same rule the tab applies.
 */
export { MAX_PATH_LENGTH, pathProblem };
/** Versions are ZooKeeper's 32-bit ints; -1 matches any version. */
export const ANY_VERSION = -1;
const MAX_VERSION = 2 ** 31 - 1;

const PathSchema = v.pipe(
  v.string(),
  v.check((path) => pathProblem(path) === null, (issue) => pathProblem(String(issue.input)) ?? 'invalid path'),
);
const CreatePathSchema = v.pipe(v.string(), v.maxLength(MAX_PATH_LENGTH), v.minLength(1));
const DataSchema = v.pipe(v.string(), v.maxLength(MAX_DATA_LENGTH, `data is longer than ${MAX_DATA_LENGTH} characters`));
const VersionSchema = v.pipe(v.number(), v.integer(), v.minValue(ANY_VERSION), v.maxValue(MAX_VERSION));
const NumberSchema = v.optional(RequestNumberSchema);

export const GatewayOpSchema = v.pipe(
  v.variant('op', [
    v.strictObject({
      op: v.literal('create'),
      path: CreatePathSchema,
      data: DataSchema,
      ephemeral: v.boolean(),
      sequential: v.boolean(),
      requestNumber: NumberSchema,
    }),
    v.strictObject({ op: v.literal('get'), path: PathSchema }),
    v.strictObject({ op: v.literal('set'), path: PathSchema, data: DataSchema, version: VersionSchema, requestNumber: NumberSchema }),
    v.strictObject({ op: v.literal('delete'), path: PathSchema, version: VersionSchema, requestNumber: NumberSchema }),
    v.strictObject({ op: v.literal('ls'), path: PathSchema }),
    v.strictObject({ op: v.literal('stat'), path: PathSchema }),
    v.strictObject({ op: v.literal('sync'), path: PathSchema }),
    v.strictObject({ op: v.literal('exists'), path: PathSchema }),
  ]),
  v.check(
    (op) => op.op !== 'create' || pathProblem(op.path, op.sequential) === null,
    (issue) => {
      const op = issue.input as { path: string; sequential: boolean };
      return pathProblem(op.path, op.sequential) ?? 'invalid path';
    },
  ),
);

export type GatewayOp = v.InferOutput<typeof GatewayOpSchema>;
export type GatewayOpName = GatewayOp['op'];
export const GATEWAY_OP_NAMES: readonly GatewayOpName[] = ['create', 'get', 'set', 'delete', 'ls', 'stat', 'sync', 'exists'];
export type GatewayWriteOp = Extract<GatewayOp, { op: 'create' | 'set' | 'delete' }>;

/** Whether an op changes the tree (and so may be numbered). */
export function isWriteOp(op: GatewayOp): op is GatewayWriteOp {
  return op.op === 'create' || op.op === 'set' || op.op === 'delete';
}

/**
 * A znode's stat as a tab answers it: the data tree's Stat (core/tree/stat.ts), ZooKeeper's, field
 * for field; `ephemeralOwner` is the owning session's id, null if persistent.
 */
export type Stat = TreeStat;
export { StatSchema };

export const GatewayResultSchema = v.variant('ok', [
  v.object({ ok: v.literal(true), value: v.custom<Json>(() => true) }),
  v.object({ ok: v.literal(false), error: v.picklist(ZOOKEEPER_ERRORS) }),
]);
export type GatewayResult = { readonly ok: true; readonly value: Json } | { readonly ok: false; readonly error: ZooKeeperErrorName };

/** Schemas of a successful result's value, by op: the CLI checks what a tab answers before printing it. */
export const RESULT_VALUE_SCHEMAS = {
  create: v.string(),
  get: v.object({ data: v.string(), stat: StatSchema }),
  set: StatSchema,
  delete: v.null(),
  ls: v.array(v.string()),
  stat: StatSchema,
  sync: v.string(),
  exists: v.nullable(StatSchema),
} as const satisfies Record<GatewayOpName, v.GenericSchema>;

export type ResultValue<K extends GatewayOpName> = v.InferOutput<(typeof RESULT_VALUE_SCHEMAS)[K]>;
