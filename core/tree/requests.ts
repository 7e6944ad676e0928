import * as v from 'valibot';
import { MAX_DATA_BYTES, MAX_INT32, MAX_MULTI_OPS, MAX_PATH_LENGTH, MAX_SESSION_ID_LENGTH, utf8ByteLength } from './limits.ts';
import { pathProblem } from './paths.ts';

/**
 * Client requests, as JSON. The shapes are checked here with valibot; the rules valibot cannot say
 * (path syntax, data bytes, an ephemeral needs a session) are in `checkRequest`. Everything that
 * depends on the tree's state is decided later, by prepare on the leader.
 */

const PathSchema = v.pipe(v.string(), v.maxLength(MAX_PATH_LENGTH));
/** Data is a string; its UTF-8 size is checked in checkRequest (valibot counts code units). */
const DataSchema = v.string();
/** -1 matches any version, as in ZooKeeper. */
const VersionSchema = v.pipe(v.number(), v.integer(), v.minValue(-1), v.maxValue(MAX_INT32));
const SessionIdSchema = v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_SESSION_ID_LENGTH));
const TimeoutSchema = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_INT32));

const createEntries = {
  type: v.literal('create'),
  path: PathSchema,
  data: DataSchema,
  ephemeral: v.boolean(),
  sequential: v.boolean(),
};

export const CreateRequestSchema = v.strictObject({ ...createEntries, sessionId: v.nullable(SessionIdSchema) });
export const DeleteRequestSchema = v.strictObject({ type: v.literal('delete'), path: PathSchema, version: VersionSchema });
export const SetDataRequestSchema = v.strictObject({
  type: v.literal('setData'),
  path: PathSchema,
  data: DataSchema,
  version: VersionSchema,
});
/** ZooKeeper's CheckVersion op: only inside a multi. */
export const CheckRequestSchema = v.strictObject({ type: v.literal('check'), path: PathSchema, version: VersionSchema });
/**
 * A create inside a multi: the multi's sessionId owns its ephemerals, so the op may leave its own
 * sessionId out (or null); if it names a session, it must be the multi's.
 */
export const MultiCreateOpSchema = v.strictObject({ ...createEntries, sessionId: v.optional(v.nullable(SessionIdSchema)) });
export const MultiOpSchema = v.variant('type', [MultiCreateOpSchema, DeleteRequestSchema, SetDataRequestSchema, CheckRequestSchema]);
export const MultiRequestSchema = v.strictObject({
  type: v.literal('multi'),
  ops: v.pipe(v.array(MultiOpSchema), v.maxLength(MAX_MULTI_OPS)),
  sessionId: v.nullable(SessionIdSchema),
});
export const CreateSessionRequestSchema = v.strictObject({
  type: v.literal('createSession'),
  sessionId: SessionIdSchema,
  timeoutMs: TimeoutSchema,
});
export const CloseSessionRequestSchema = v.strictObject({ type: v.literal('closeSession'), sessionId: SessionIdSchema });
const readSchema = <const T extends string>(type: T) => v.strictObject({ type: v.literal(type), path: PathSchema });
export const GetDataRequestSchema = readSchema('getData');
export const ExistsRequestSchema = readSchema('exists');
export const GetChildrenRequestSchema = readSchema('getChildren');
export const ReadRequestSchema = v.variant('type', [GetDataRequestSchema, ExistsRequestSchema, GetChildrenRequestSchema]);

const writeRequestSchemas = [
  CreateRequestSchema,
  DeleteRequestSchema,
  SetDataRequestSchema,
  MultiRequestSchema,
  CreateSessionRequestSchema,
  CloseSessionRequestSchema,
] as const;
export const WriteRequestSchema = v.variant('type', writeRequestSchemas);
/** One variant over every kind, so that a refusal names the field that is wrong. */
export const RequestSchema = v.variant('type', [...writeRequestSchemas, GetDataRequestSchema, ExistsRequestSchema, GetChildrenRequestSchema]);

export type CreateRequest = v.InferOutput<typeof CreateRequestSchema>;
export type DeleteRequest = v.InferOutput<typeof DeleteRequestSchema>;
export type SetDataRequest = v.InferOutput<typeof SetDataRequestSchema>;
export type CheckRequest = v.InferOutput<typeof CheckRequestSchema>;
export type MultiCreateOp = v.InferOutput<typeof MultiCreateOpSchema>;
export type MultiOp = v.InferOutput<typeof MultiOpSchema>;
export type MultiRequest = v.InferOutput<typeof MultiRequestSchema>;
export type CreateSessionRequest = v.InferOutput<typeof CreateSessionRequestSchema>;
export type CloseSessionRequest = v.InferOutput<typeof CloseSessionRequestSchema>;
export type ReadRequest = v.InferOutput<typeof ReadRequestSchema>;
export type WriteRequest = v.InferOutput<typeof WriteRequestSchema>;
export type TreeRequest = WriteRequest | ReadRequest;

export type CheckedRequest = { readonly ok: true; readonly request: TreeRequest } | { readonly ok: false; readonly reason: string };

const READ_TYPES: ReadonlySet<unknown> = new Set(['getData', 'exists', 'getChildren']);

export function isReadRequest(request: TreeRequest): request is ReadRequest {
  return READ_TYPES.has(request.type);
}

/** Checks a request at the boundary: its shape, then the rules of ZooKeeper's client and server. */
export function checkRequest(op: unknown): CheckedRequest {
  if (isTopLevelCheck(op)) return { ok: false, reason: 'check is only allowed inside a multi' };
  const parsed = v.safeParse(RequestSchema, op);
  if (!parsed.success) return { ok: false, reason: describeIssue(parsed.issues[0]) };
  const reason = checkRules(parsed.output);
  return reason === null ? { ok: true, request: parsed.output } : { ok: false, reason };
}

function isTopLevelCheck(op: unknown): boolean {
  return typeof op === 'object' && op !== null && (op as { type?: unknown }).type === 'check';
}

function describeIssue(issue: v.BaseIssue<unknown>): string {
  const where = v.getDotPath(issue);
  return `invalid request${where === null ? '' : ` at ${where}`}: ${issue.message}`;
}

function checkRules(request: TreeRequest): string | null {
  switch (request.type) {
    case 'create':
      return checkCreate(request, request.sessionId);
    case 'delete':
    case 'setData':
    case 'getData':
    case 'exists':
    case 'getChildren':
      return checkPathAndData(request);
    case 'multi':
      return checkMulti(request);
    case 'createSession':
    case 'closeSession':
      return null;
  }
}

function checkCreate(op: MultiCreateOp, sessionId: string | null): string | null {
  const problem = pathProblem(op.path, op.sequential);
  if (problem !== null) return problem;
  if (op.ephemeral && sessionId === null) return 'an ephemeral znode needs a session (sessionId is null)';
  return checkDataSize(op.data);
}

function checkPathAndData(op: { readonly path: string; readonly data?: string }): string | null {
  const problem = pathProblem(op.path);
  if (problem !== null) return problem;
  return op.data === undefined ? null : checkDataSize(op.data);
}

function checkMulti(request: MultiRequest): string | null {
  let totalBytes = 0;
  for (const [index, op] of request.ops.entries()) {
    const problem = checkMultiOp(op, request.sessionId);
    if (problem !== null) return `ops[${index}]: ${problem}`;
    if (op.type === 'create' || op.type === 'setData') totalBytes += utf8ByteLength(op.data);
  }
  if (totalBytes > MAX_DATA_BYTES) return `the data of a multi is ${totalBytes} bytes, more than ${MAX_DATA_BYTES}`;
  return null;
}

function checkMultiOp(op: MultiOp, sessionId: string | null): string | null {
  if (op.type !== 'create') return checkPathAndData(op);
  if (op.sessionId !== undefined && op.sessionId !== null && op.sessionId !== sessionId) {
    return `sessionId ${JSON.stringify(op.sessionId)} is not the multi's (${JSON.stringify(sessionId)})`;
  }
  return checkCreate(op, sessionId);
}

function checkDataSize(data: string): string | null {
  // Every code unit is at least one UTF-8 byte: a string too long in units needs no counting.
  if (data.length > MAX_DATA_BYTES) return `data is at least ${data.length} bytes, more than ${MAX_DATA_BYTES}`;
  const bytes = utf8ByteLength(data);
  return bytes > MAX_DATA_BYTES ? `data is ${bytes} bytes, more than ${MAX_DATA_BYTES}` : null;
}
