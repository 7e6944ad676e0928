import { createRequire } from 'node:module';
import { describe, expect, test } from 'vitest';
import { FrameSplitter } from './frames.ts';
import { JuteError, JuteReader, JuteWriter } from './jute.ts';
import { codec } from './records.ts';

// Goal: the listener's jute reads what another implementation writes and writes what it reads,
// and refuses every malformed input with JuteError rather than reading past a frame. Method:
// node-zookeeper-client's own serializer (an independent implementation over the same records)
// against ours, both ways, and hand-made malformed records.

/** node-zookeeper-client's generated jute record classes (untyped CommonJS: the shape used here). */
interface TheirRecord {
  serialize(buffer: Buffer, offset: number): number;
  deserialize(buffer: Buffer, offset: number): number;
  byteLength(): number;
  [field: string]: unknown;
}
type TheirClass = new (...args: unknown[]) => TheirRecord;
const theirs = createRequire(import.meta.url)('node-zookeeper-client/lib/jute/index.js') as {
  protocol: Record<string, TheirClass>;
  data: Record<string, TheirClass>;
};

function long(value: bigint): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeBigInt64BE(value);
  return bytes;
}

describe('jute against node-zookeeper-client', () => {
  test('a CreateRequest they write is read field for field', () => {
    const Id = theirs.data.Id!;
    const Acl = theirs.data.ACL!;
    const request = new theirs.protocol.CreateRequest!('/a/é', Buffer.from('data'), [new Acl(31, new Id('world', 'anyone'))], 3);
    const bytes = Buffer.alloc(request.byteLength());
    request.serialize(bytes, 0);
    const read = codec.read(new JuteReader(bytes), 'CreateRequest');
    expect(read.path).toBe('/a/é');
    expect(Buffer.from(read.data as Uint8Array).toString()).toBe('data');
    expect(read.acl).toEqual([{ perms: 31, id: { scheme: 'world', id: 'anyone' } }]);
    expect(read.flags).toBe(3);
  });

  test('a GetDataResponse and a ConnectResponse we write are read by them', () => {
    const stat = {
      czxid: (1n << 32n) | 5n,
      mzxid: (2n << 32n) | 7n,
      ctime: 1_700_000_000_000n,
      mtime: 1_700_000_000_123n,
      version: 3,
      cversion: 2,
      aversion: 0,
      ephemeralOwner: 0x1234_5678_9abc_def0n,
      dataLength: 5,
      numChildren: 1,
      pzxid: (2n << 32n) | 9n,
    };
    const bytes = Buffer.from(codec.write(new JuteWriter(), 'GetDataResponse', { data: Buffer.from('hello'), stat }).finish());
    const response = new theirs.protocol.GetDataResponse!();
    expect(response.deserialize(bytes, 0)).toBe(bytes.byteLength);
    expect((response.data as Buffer).toString()).toBe('hello');
    const theirStat = response.stat as Record<string, unknown>;
    expect(theirStat.version).toBe(3);
    expect(theirStat.numChildren).toBe(1);
    expect(theirStat.czxid).toEqual(long(stat.czxid));
    expect(theirStat.ephemeralOwner).toEqual(long(stat.ephemeralOwner));
    expect(theirStat.pzxid).toEqual(long(stat.pzxid));

    const connect = Buffer.from(codec.write(new JuteWriter(), 'ConnectResponse', { protocolVersion: 0, timeOut: 4000, sessionId: 42n, passwd: Buffer.alloc(16, 1) }).finish());
    const theirConnect = new theirs.protocol.ConnectResponse!();
    theirConnect.deserialize(connect, 0);
    expect(theirConnect.timeOut).toBe(4000);
    expect(theirConnect.sessionId).toEqual(long(42n));
  });
});

describe('malformed jute is refused', () => {
  const read = (bytes: number[], record: string) => () => codec.read(new JuteReader(Uint8Array.from(bytes)), record);
  test.each([
    ['a truncated int', [0, 0, 1], 'RequestHeader'],
    ['a string longer than the frame', [0, 0, 0, 9, 0x2f, 0x61], 'SyncRequest'],
    ['a negative string length', [0xff, 0xff, 0xff, 0xfe], 'SyncRequest'],
    ['a string that is not UTF-8', [0, 0, 0, 2, 0xc3, 0x28], 'SyncRequest'],
    ['a vector longer than its bytes', [0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff], 'SetWatches'],
    ['a negative vector length', [0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xf0], 'SetWatches'],
  ])('%s', (_name, bytes, record) => {
    expect(read(bytes, record)).toThrow(JuteError);
  });

  test('a null string (length -1) reads as null', () => {
    expect(codec.read(new JuteReader(Uint8Array.from([0xff, 0xff, 0xff, 0xff])), 'SyncRequest')).toEqual({ path: null });
  });

  test('frames: split across chunks, joined when several arrive at once, refused above the limit', () => {
    const splitter = new FrameSplitter(8);
    expect(splitter.push(Buffer.from([0, 0, 0]))).toEqual([]);
    expect(splitter.push(Buffer.from([2, 7]))).toEqual([]);
    expect(splitter.push(Buffer.from([8, 0, 0, 0, 1, 9]))).toEqual([Buffer.from([7, 8]), Buffer.from([9])]);
    expect(splitter.pending).toBe(0);
    expect(() => splitter.push(Buffer.from([0, 0, 0, 9]))).toThrow(JuteError);
  });
});
