import * as v from 'valibot';
import { MAX_SERVER_ID } from '../core/messages.ts';
import type { Json, ServerId } from '../core/types.ts';

/**
 * The Socket.IO event protocol between the signaling server, the tabs and the command-line
 * clients: payload types, the valibot schemas the server checks every payload against, and the
 * limits. The browser app imports this file too, so it must never import a Node module.
 *
 * The server is protocol-blind: WebRTC signals (`signal.data`) and gateway operations and results
 * (`op`, `result`) are opaque JSON to it, checked only for size and depth. The tab and the CLI
 * validate them with `protocol/gateway-ops.ts`.
 */

export const LIMITS = {
  /** Cluster names: 1..64 characters of A-Z a-z 0-9 _ -. */
  clusterNameLength: 64,
  /** Voting seats a cluster may have (ZooKeeper ensembles are rarely larger than 7). */
  clusterSize: 15,
  /** Highest seat any payload may name; the same bound as core's server ids. */
  seat: MAX_SERVER_ID,
  keyLength: 256,
  clientIdLength: 64,
  /** A CLI session's secret (cli: 32 random bytes, base64url: 43 characters). */
  secretMinLength: 16,
  secretMaxLength: 128,
  /** A seat token (the proof that a tab owns its seat): the server issues 32 hex characters. */
  seatTokenLength: 64,
  /** Signaling server URLs handed to tabs, and the characters of each. */
  serverUrls: 32,
  serverUrlLength: 512,
  /**
   * Sizes of opaque JSON are counted in characters of its JSON text (UTF-16 code units, so
   * bytes for ASCII, which SDP and ICE candidates are). One relayed WebRTC signal: an SDP offer is
   * a few thousand characters.
   */
  signalJsonLength: 64 * 1024,
  /** One gateway operation (znode data is limited below this by protocol/gateway-ops.ts). */
  gatewayOpJsonLength: 64 * 1024,
  /** One gateway result (an `ls` of a large directory). */
  gatewayResultJsonLength: 512 * 1024,
  /** Nesting depth of relayed JSON: deep enough for any SDP or result, shallow enough to walk safely. */
  jsonDepth: 32,
} as const;

/**
 * Largest Socket.IO message the server accepts at all (engine.io's maxHttpBufferSize). Above it
 * engine.io closes the connection; below it, oversized payloads are refused with `error-event`.
 */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

const NAME_PATTERN = /^[A-Za-z0-9_-]+$/;

/** A name or token of A-Z a-z 0-9 _ - with bounded length; the messages name the field. */
const nameSchema = (field: string, minLength: number, maxLength: number) =>
  v.pipe(
    v.string(),
    v.minLength(minLength, minLength === 1 ? `${field} is empty` : `${field} is shorter than ${minLength} characters`),
    v.maxLength(maxLength, `${field} is longer than ${maxLength} characters`),
    v.regex(NAME_PATTERN, `${field} may hold only A-Z a-z 0-9 _ -`),
  );

const ClusterNameSchema = nameSchema('cluster name', 1, LIMITS.clusterNameLength);
const ClusterSizeSchema = v.pipe(
  v.number(),
  v.integer('size must be an integer'),
  v.minValue(1, 'size must be at least 1'),
  v.maxValue(LIMITS.clusterSize, `size must be at most ${LIMITS.clusterSize}`),
);
const SeatSchema = v.pipe(
  v.number(),
  v.integer('seat must be an integer'),
  v.minValue(1, 'seat must be at least 1'),
  v.maxValue(LIMITS.seat, `seat must be at most ${LIMITS.seat}`),
);
const KeySchema = v.pipe(
  v.string(),
  v.minLength(1, 'key is empty'),
  v.maxLength(LIMITS.keyLength, `key is longer than ${LIMITS.keyLength} characters`),
);
const ClientIdSchema = nameSchema('clientId', 1, LIMITS.clientIdLength);
const SecretSchema = nameSchema('secret', LIMITS.secretMinLength, LIMITS.secretMaxLength);
const SeatTokenSchema = nameSchema('token', 16, LIMITS.seatTokenLength);
const RequestIdSchema = v.pipe(
  v.number(),
  v.integer('requestId must be an integer'),
  v.minValue(0, 'requestId must not be negative'),
  v.maxValue(Number.MAX_SAFE_INTEGER, 'requestId is too large'),
);

/** Opaque JSON of at most `maxLength` characters of JSON text: the only look the server takes inside. */
function opaqueJson(maxLength: number) {
  return v.pipe(
    v.unknown(),
    v.rawCheck(({ dataset, addIssue }) => {
      const reason = checkJson(dataset.value, maxLength);
      if (reason !== null) addIssue({ message: reason });
    }),
    v.transform((value) => value as Json),
  );
}

/**
 * `key` (join and gateway-connect): the cluster's room token, which tabs and CLIs derive from the
 * join key (`roomToken` in protocol/cluster-key.ts), never the join key itself. The server
 * namespaces rooms by it (rooms.ts): a socket with another token lands in another, empty room.
 */
export const JoinRequestSchema = v.strictObject({
  cluster: ClusterNameSchema,
  size: v.optional(ClusterSizeSchema),
  key: v.optional(KeySchema),
  seat: v.optional(SeatSchema),
  /**
   * The seat token this tab was given when it first claimed `seat`: proof that it is the same
   * tab coming back (after its signaling server died or restarted), so it gets the seat back
   * even while the seat table still shows its old socket or keeps the seat reserved for it.
   */
  token: v.optional(SeatTokenSchema),
});
export const SignalRequestSchema = v.strictObject({ to: SeatSchema, data: opaqueJson(LIMITS.signalJsonLength) });
export const GatewayConnectRequestSchema = v.strictObject({
  cluster: ClusterNameSchema,
  key: v.optional(KeySchema),
  seat: v.optional(SeatSchema),
  clientId: ClientIdSchema,
  /**
   * The session's secret (new in this version; required). `clientId` must end with
   * `clientIdDigest(secret)` (protocol/session-secret.ts), so a clientId seen elsewhere (a
   * znode's `ephemeralOwner`) attaches nobody to its session: only whoever holds the secret
   * issued with the session can. Optional in the schema only so that a client without it gets
   * a clear `wrong-secret` rather than a generic `invalid`.
   */
  secret: v.optional(SecretSchema),
});
export const GatewayRequestSchema = v.strictObject({
  requestId: RequestIdSchema,
  op: opaqueJson(LIMITS.gatewayOpJsonLength),
});
export const GatewayReplySchema = v.strictObject({
  clientId: ClientIdSchema,
  requestId: RequestIdSchema,
  result: opaqueJson(LIMITS.gatewayResultJsonLength),
});

export type JoinRequest = v.InferOutput<typeof JoinRequestSchema>;
export type SignalRequest = v.InferOutput<typeof SignalRequestSchema>;
export type GatewayConnectRequest = v.InferOutput<typeof GatewayConnectRequestSchema>;
export type GatewayRequest = v.InferOutput<typeof GatewayRequestSchema>;
export type GatewayReply = v.InferOutput<typeof GatewayReplySchema>;

/** Why an acknowledged request (join, gateway-connect) was refused. */
export type RefusalCode =
  | 'invalid' // the payload failed its schema
  | 'already-joined' // this socket already holds a seat or a gateway attachment
  | 'wrong-key' // the cluster's join key was not presented, or a different one was
  | 'size-mismatch' // the cluster exists with another size
  | 'seat-out-of-range' // beyond the cluster's voters and observers
  | 'seat-taken' // another live socket holds that seat
  | 'cluster-full' // every voter and observer seat is held
  | 'no-such-cluster' // gateway: no tab has created that cluster
  | 'no-live-seat' // gateway: no tab holds the seat (or any seat)
  | 'wrong-secret' // gateway: no secret, or clientId is not the one of this secret
  | 'rate-limited'
  | 'unavailable'; // the seat table (Redis) could not be reached

export type Refusal = {
  readonly ok: false;
  readonly code: ErrorCode;
  readonly error: string;
  /** With `rate-limited`: how long to wait before trying again. */
  readonly retryAfterMs?: number;
};

export type JoinReply =
  | {
      readonly ok: true;
      readonly seat: ServerId;
      /** N: seats 1..N vote, seats above N observe. */
      readonly size: number;
      /** Seats held by other live tabs of the cluster when this one joined. */
      readonly peers: ServerId[];
      /**
       * Proof of owning the seat: kept by the tab (sessionStorage) and presented when it
       * reclaims the seat through this or another signaling server. Never logged.
       */
      readonly token: string;
      /** Public URLs of the deployment's live signaling servers, to move to if this one dies. */
      readonly servers: string[];
    }
  | Refusal;

export type GatewayConnectReply = { readonly ok: true; readonly seat: ServerId; readonly size: number } | Refusal;

/** Why a payload without an acknowledgement was refused; `error-event` carries it. */
export type ErrorCode =
  | 'invalid' // failed its schema (wrong type, missing field, too large, too deep)
  | 'unknown-event'
  | 'rate-limited'
  | 'not-joined' // relay or reply before the socket took a seat
  | 'not-attached' // gateway-request before gateway-connect
  | 'no-such-seat' // relay to a seat nobody in this cluster holds
  | 'busy' // too many of this socket's events are still being processed
  | 'unavailable'
  | RefusalCode;

export interface ErrorEvent {
  /** The event that was refused. */
  readonly event: string;
  readonly code: ErrorCode;
  readonly reason: string;
  /** Present when the refused payload was a gateway-request, so the client can fail or retry that request. */
  readonly requestId?: number;
  /** Present when rate-limited: when a retry will pass. */
  readonly retryAfterMs?: number;
}

/** What tabs and CLIs send. The server types its own handlers as taking `unknown` (see server.ts). */
export interface ClientToServerEvents {
  join: (request: JoinRequest, ack: (reply: JoinReply) => void) => void;
  signal: (request: SignalRequest) => void;
  'gateway-connect': (request: GatewayConnectRequest, ack: (reply: GatewayConnectReply) => void) => void;
  'gateway-request': (request: GatewayRequest) => void;
  'gateway-reply': (reply: GatewayReply) => void;
}

export interface ServerToClientEvents {
  'peer-joined': (event: { seat: ServerId }) => void;
  'peer-left': (event: { seat: ServerId }) => void;
  signal: (event: { from: ServerId; data: Json }) => void;
  /** To a tab: a CLI's operation, to run in that client's session. */
  'gateway-request': (event: { clientId: string; requestId: number; op: Json }) => void;
  /** To a CLI: the tab's answer. */
  'gateway-reply': (event: { requestId: number; result: Json }) => void;
  /** To a CLI: the tab it was attached to left; requests in flight are lost. */
  'gateway-lost': (event: { seat: ServerId }) => void;
  'error-event': (event: ErrorEvent) => void;
  /** To a tab: the deployment's signaling servers changed (one started or died). */
  'signaling-servers': (event: { urls: string[] }) => void;
}

export const CLIENT_EVENTS = ['join', 'signal', 'gateway-connect', 'gateway-request', 'gateway-reply'] as const;
export type ClientEventName = (typeof CLIENT_EVENTS)[number];

/**
 * Checks that `value` is plain JSON (no binary, no functions, no NaN), at most `LIMITS.jsonDepth`
 * deep and at most `maxLength` characters once serialized. Returns why not, or null. The walk is
 * iterative so a hostile nesting cannot overflow the stack, and it counts as it goes so an
 * oversized value is refused without serializing it. String lengths leave out escapes, so the
 * count may fall a little short of JSON.stringify's for strings full of quotes or control
 * characters; it never exceeds it.
 */
export function checkJson(value: unknown, maxLength: number): string | null {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  let length = 0;
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (item.depth > LIMITS.jsonDepth) return `nested deeper than ${LIMITS.jsonDepth}`;
    const node = measureNode(item.value);
    if (node === null) return `not JSON (${describe(item.value)})`;
    length += node.length;
    if (length > maxLength) return `too large (more than ${maxLength} characters of JSON)`;
    for (const child of node.children) stack.push({ value: child, depth: item.depth + 1 });
  }
  return null;
}

/** The characters one JSON value adds besides its children's own, and its children; null if not JSON. */
function measureNode(value: unknown): { length: number; children: unknown[] } | null {
  if (value === null) return { length: 4, children: [] };
  if (typeof value === 'boolean') return { length: value ? 4 : 5, children: [] };
  if (typeof value === 'number') return Number.isFinite(value) ? { length: String(value).length, children: [] } : null;
  if (typeof value === 'string') return { length: value.length + 2, children: [] };
  if (Array.isArray(value)) return { length: 2 + Math.max(0, value.length - 1), children: value };
  if (typeof value !== 'object') return null;
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return null;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  let length = 2 + Math.max(0, keys.length - 1);
  for (const key of keys) length += key.length + 3;
  return { length, children: keys.map((key) => record[key]) };
}

function describe(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'object' || value === null) return typeof value;
  const prototype: unknown = Object.getPrototypeOf(value);
  const name = (prototype as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return typeof name === 'string' ? name : 'object';
}

/**
 * Validates one payload and returns it typed, or a one-line reason naming the field
 * (`to: seat must be an integer`).
 */
export function parsePayload<S extends v.GenericSchema>(
  schema: S,
  payload: unknown,
): { ok: true; value: v.InferOutput<S> } | { ok: false; reason: string } {
  const result = v.safeParse(schema, payload);
  if (result.success) return { ok: true, value: result.output };
  const issue = result.issues[0];
  const where = issue === undefined ? null : v.getDotPath(issue);
  return { ok: false, reason: `${where === null ? '' : `${where}: `}${issue?.message ?? 'invalid'}` };
}
