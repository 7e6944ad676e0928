import { createHash } from 'node:crypto';
import type { Stat } from '../core/tree/index.ts';
import { MAX_MULTI_OPS } from '../core/tree/limits.ts';
import { JuteError, type JuteReader, type JuteRecord, type JuteValue, type JuteWriter } from './jute.ts';
import { codec, CREATE_MODE, ERROR_CODES, OP, OPEN_ACL, PERMS_ALL } from './records.ts';
import type { ZkMultiOp, ZkRequest } from '../protocol/zk-tab-ops.ts';

/**
 * ZooKeeper request bodies decoded into what the listener does with them, and tab answers
 * encoded as ZooKeeper response bodies. Paths here are the client's (before the chroot mapping,
 * which connection.ts applies).
 */

export type Decoded =
  /** `opcodes`: a multi's op types, in order (create and create2 are answered in their own forms). */
  | { readonly kind: 'tab'; readonly request: ZkRequest; readonly opcodes?: readonly number[] }
  | { readonly kind: 'ping' }
  | { readonly kind: 'close' }
  | { readonly kind: 'auth'; readonly scheme: string; readonly auth: Uint8Array }
  | { readonly kind: 'setWatches'; readonly relativeZxid: bigint; readonly data: string[]; readonly exist: string[]; readonly child: string[] }
  | { readonly kind: 'getACL'; readonly path: string }
  /** multiRead: getData and getChildren ops, each answered on its own (ZooKeeper reads them one by one too). */
  | { readonly kind: 'multiRead'; readonly ops: readonly { readonly opcode: number; readonly path: string; readonly watch: boolean }[] }
  /** Refused before it reaches a tab: ZooKeeper's error code for it. */
  | { readonly kind: 'error'; readonly code: number };

const unimplemented: Decoded = { kind: 'error', code: ERROR_CODES.Unimplemented };
const badArguments: Decoded = { kind: 'error', code: ERROR_CODES.BadArguments };

/** Decodes one request body. Throws JuteError if it is malformed (the connection is then closed). */
export function decodeRequest(opcode: number, reader: JuteReader): Decoded {
  switch (opcode) {
    case OP.ping:
      return { kind: 'ping' };
    case OP.closeSession:
      return { kind: 'close' };
    case OP.create:
    case OP.create2:
      return decodeCreate(codec.read(reader, 'CreateRequest'));
    case OP.delete: {
      const record = codec.read(reader, 'DeleteRequest');
      return tab({ type: 'delete', path: text(record.path), version: int(record.version) });
    }
    case OP.setData: {
      const record = codec.read(reader, 'SetDataRequest');
      const data = utf8Data(record.data);
      if (data === null) return badArguments;
      return tab({ type: 'setData', path: text(record.path), data, version: int(record.version) });
    }
    case OP.exists:
    case OP.getData:
    case OP.getChildren:
    case OP.getChildren2: {
      const record = codec.read(reader, 'GetDataRequest');
      const type = opcode === OP.exists ? 'exists' : opcode === OP.getData ? 'getData' : 'getChildren';
      return tab({ type, path: text(record.path), watch: record.watch === true });
    }
    case OP.sync:
      return tab({ type: 'sync', path: text(codec.read(reader, 'SyncRequest').path) });
    case OP.multi:
      return decodeMulti(reader);
    case OP.getACL:
      return { kind: 'getACL', path: text(codec.read(reader, 'GetACLRequest').path) };
    case OP.auth: {
      const record = codec.read(reader, 'AuthPacket');
      return { kind: 'auth', scheme: text(record.scheme), auth: (record.auth as Uint8Array | null) ?? new Uint8Array() };
    }
    case OP.setWatches: {
      const record = codec.read(reader, 'SetWatches');
      return {
        kind: 'setWatches',
        relativeZxid: record.relativeZxid as bigint,
        data: texts(record.dataWatches),
        exist: texts(record.existWatches),
        child: texts(record.childWatches),
      };
    }
    case OP.multiRead:
      return decodeMultiRead(reader);
    case OP.setACL:
    case OP.reconfig:
    case OP.checkWatches:
    case OP.removeWatches:
    case OP.createContainer:
    case OP.deleteContainer:
    case OP.createTTL:
    case OP.sasl:
    case OP.getEphemerals:
    case OP.getAllChildrenNumber:
    case OP.setWatches2:
    case OP.addWatch:
    case OP.whoAmI:
      return unimplemented;
    default:
      throw new JuteError(`unknown opcode ${opcode}`);
  }
}

function tab(request: ZkRequest): Decoded {
  return { kind: 'tab', request };
}

function decodeCreate(record: JuteRecord): Decoded {
  const createOp = createOf(record);
  return 'code' in createOp ? { kind: 'error', code: createOp.code } : tab(createOp);
}

/** A CreateRequest as TabKeeper's create, or the error ZooKeeper gives for it. */
function createOf(record: JuteRecord): Extract<ZkRequest, { type: 'create' }> | { code: number } {
  const flags = int(record.flags);
  if (flags === CREATE_MODE.container || flags === CREATE_MODE.ttl || flags === CREATE_MODE.ttlSequential) return { code: ERROR_CODES.Unimplemented };
  if (flags < 0 || flags > CREATE_MODE.ephemeralSequential) return { code: ERROR_CODES.BadArguments };
  if (!isOpenAcl(record.acl)) return { code: ERROR_CODES.Unimplemented };
  const data = utf8Data(record.data);
  if (data === null) return { code: ERROR_CODES.BadArguments };
  return { type: 'create', path: text(record.path), data, ephemeral: (flags & 1) !== 0, sequential: (flags & 2) !== 0 };
}

/** Only world:anyone with every permission is implemented (what every client uses by default). */
function isOpenAcl(acl: JuteValue | undefined): boolean {
  if (!Array.isArray(acl) || acl.length !== 1) return false;
  const entry = acl[0] as JuteRecord;
  const id = entry.id as JuteRecord;
  return entry.perms === PERMS_ALL && id.scheme === 'world' && id.id === 'anyone';
}

function decodeMulti(reader: JuteReader): Decoded {
  const ops: ZkMultiOp[] = [];
  const opcodes: number[] = [];
  let refused: number | null = null;
  for (;;) {
    const header = codec.read(reader, 'MultiHeader');
    if (header.done === true) break;
    if (opcodes.length >= MAX_MULTI_OPS) throw new JuteError(`a multi of more than ${MAX_MULTI_OPS} ops`);
    opcodes.push(int(header.type));
    switch (header.type) {
      case OP.create:
      case OP.create2: {
        const createOp = createOf(codec.read(reader, 'CreateRequest'));
        if ('code' in createOp) refused ??= createOp.code;
        else ops.push(createOp);
        break;
      }
      case OP.delete: {
        const record = codec.read(reader, 'DeleteRequest');
        ops.push({ type: 'delete', path: text(record.path), version: int(record.version) });
        break;
      }
      case OP.setData: {
        const record = codec.read(reader, 'SetDataRequest');
        const data = utf8Data(record.data);
        if (data === null) refused ??= ERROR_CODES.BadArguments;
        else ops.push({ type: 'setData', path: text(record.path), data, version: int(record.version) });
        break;
      }
      case OP.check: {
        const record = codec.read(reader, 'CheckVersionRequest');
        ops.push({ type: 'check', path: text(record.path), version: int(record.version) });
        break;
      }
      case OP.createContainer:
      case OP.createTTL:
        // Their bodies are not read: the whole multi is refused, so the rest of the frame is not needed.
        return unimplemented;
      default:
        throw new JuteError(`opcode ${String(header.type)} inside a multi`);
    }
  }
  return refused === null ? { kind: 'tab', request: { type: 'multi', ops }, opcodes } : { kind: 'error', code: refused };
}

function decodeMultiRead(reader: JuteReader): Decoded {
  const ops: { opcode: number; path: string; watch: boolean }[] = [];
  for (;;) {
    const header = codec.read(reader, 'MultiHeader');
    if (header.done === true) return { kind: 'multiRead', ops };
    if (ops.length >= MAX_MULTI_OPS) throw new JuteError(`a multiRead of more than ${MAX_MULTI_OPS} ops`);
    if (header.type !== OP.getData && header.type !== OP.getChildren) throw new JuteError(`opcode ${String(header.type)} inside a multiRead`);
    const record = codec.read(reader, 'GetDataRequest');
    ops.push({ opcode: header.type, path: text(record.path), watch: record.watch === true });
  }
}

// ---------------------------------------------------------------- answers

/** ZooKeeper's 64-bit zxid: epoch in the high 32 bits, counter in the low. */
export function zxidToLong(zxid: { readonly epoch: number; readonly counter: number }): bigint {
  return (BigInt(zxid.epoch) << 32n) | BigInt(zxid.counter);
}

export function longToZxid(value: bigint): { epoch: number; counter: number } {
  const unsigned = BigInt.asUintN(64, value);
  return { epoch: Number(unsigned >> 32n), counter: Number(unsigned & 0xffff_ffffn) };
}

/** The gateway client id of a ZooKeeper session (and the TabKeeper session id in the tree). */
export function sessionClientId(sessionId: bigint): string {
  return `zk-${BigInt.asUintN(64, sessionId).toString(16).padStart(16, '0')}`;
}

/** ephemeralOwner as a 64-bit id: a ZooKeeper session's own id, a stable hash for other TabKeeper sessions. */
export function ownerToLong(owner: string | null): bigint {
  if (owner === null) return 0n;
  const match = /^zk-([0-9a-f]{16})$/.exec(owner);
  if (match !== null) return BigInt.asIntN(64, BigInt(`0x${match[1]}`));
  const hashed = createHash('sha256').update(owner).digest().readBigInt64BE(0) & 0x7fff_ffff_ffff_ffffn;
  return hashed === 0n ? 1n : hashed;
}

export function statRecord(stat: Stat): JuteRecord {
  return {
    czxid: zxidToLong(stat.czxid),
    mzxid: zxidToLong(stat.mzxid),
    ctime: BigInt(Math.floor(stat.ctime)),
    mtime: BigInt(Math.floor(stat.mtime)),
    version: stat.version,
    cversion: stat.cversion,
    aversion: stat.aversion,
    ephemeralOwner: ownerToLong(stat.ephemeralOwner),
    dataLength: stat.dataLength,
    numChildren: stat.numChildren,
    pzxid: zxidToLong(stat.pzxid),
  };
}

/**
 * Writes the response body of a successful request. `value` is the tree's value for the op;
 * `clientPath` maps a tab path back to the client's.
 */
export function writeResponse(writer: JuteWriter, opcode: number, value: unknown, clientPath: (path: string) => string): void {
  switch (opcode) {
    case OP.create: {
      codec.write(writer, 'CreateResponse', { path: clientPath((value as { path: string }).path) });
      return;
    }
    case OP.create2: {
      const created = value as { path: string; stat: Stat };
      codec.write(writer, 'Create2Response', { path: clientPath(created.path), stat: statRecord(created.stat) });
      return;
    }
    case OP.delete:
      return;
    case OP.setData:
      codec.write(writer, 'SetDataResponse', { stat: statRecord(value as Stat) });
      return;
    case OP.exists:
      codec.write(writer, 'ExistsResponse', { stat: statRecord(value as Stat) });
      return;
    case OP.getData: {
      const read = value as { data: string; stat: Stat };
      codec.write(writer, 'GetDataResponse', { data: Buffer.from(read.data, 'utf8'), stat: statRecord(read.stat) });
      return;
    }
    case OP.getChildren:
      codec.write(writer, 'GetChildrenResponse', { children: [...(value as { children: string[] }).children] });
      return;
    case OP.getChildren2: {
      const read = value as { children: string[]; stat: Stat };
      codec.write(writer, 'GetChildren2Response', { children: [...read.children], stat: statRecord(read.stat) });
      return;
    }
    case OP.sync:
      codec.write(writer, 'SyncResponse', { path: value as string });
      return;
    case OP.getACL:
      codec.write(writer, 'GetACLResponse', { acl: OPEN_ACL.map((entry) => ({ perms: entry.perms, id: { ...entry.id } })), stat: statRecord(value as Stat) });
      return;
    default:
      throw new Error(`no response body for opcode ${opcode}`);
  }
}

type MultiResult = { type: 'create'; path: string; stat: Stat } | { type: 'delete' } | { type: 'setData'; stat: Stat } | { type: 'check' };

/** MultiResponse: one header and body per op, then the done header. */
export function writeMultiResponse(writer: JuteWriter, opcodes: readonly number[], results: readonly MultiResult[], clientPath: (path: string) => string): void {
  results.forEach((result, index) => {
    const opcode = opcodes[index] ?? OP.error;
    codec.write(writer, 'MultiHeader', { type: opcode, done: false, err: 0 });
    if (result.type === 'create') {
      if (opcode === OP.create2) codec.write(writer, 'Create2Response', { path: clientPath(result.path), stat: statRecord(result.stat) });
      else codec.write(writer, 'CreateResponse', { path: clientPath(result.path) });
    } else if (result.type === 'setData') codec.write(writer, 'SetDataResponse', { stat: statRecord(result.stat) });
  });
  codec.write(writer, 'MultiHeader', { type: -1, done: true, err: -1 });
}

/** A failed multi: an ErrorResult per op (Ok before the failing op, its error, RuntimeInconsistency after). */
export function writeMultiErrors(writer: JuteWriter, codes: readonly number[]): void {
  for (const code of codes) {
    codec.write(writer, 'MultiHeader', { type: OP.error, done: false, err: code });
    codec.write(writer, 'ErrorResponse', { err: code });
  }
  codec.write(writer, 'MultiHeader', { type: -1, done: true, err: -1 });
}

// ---------------------------------------------------------------- field checks

function text(value: JuteValue | undefined): string {
  if (typeof value !== 'string') throw new JuteError('a path is null');
  return value;
}

function texts(value: JuteValue | undefined): string[] {
  if (value === null || value === undefined) return [];
  return (value as JuteValue[]).map(text);
}

function int(value: JuteValue | undefined): number {
  return value as number;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Znode data as TabKeeper's UTF-8 string; null (BadArguments) for bytes that are not UTF-8. Null data is empty. */
function utf8Data(value: JuteValue | undefined): string | null {
  if (value === null || value === undefined) return '';
  try {
    return strictUtf8.decode(value as Uint8Array);
  } catch {
    return null;
  }
}
