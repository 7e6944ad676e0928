import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Prng } from '../core/sim/prng.ts';
import { JuteWriter } from './jute.ts';
import { codec, OP } from './records.ts';
import { startHarness, type Harness } from './testing/harness.ts';
import { Nzk } from './testing/nzk.ts';
import { RawClient } from './testing/raw-client.ts';

// Goal: hostile and malformed byte streams cost the listener one connection each, never the
// process, never unbounded memory, never another client's service. Method: the harness with a
// small frame limit; seeded streams of several kinds (FUZZ_SEED=n replays one run), each on its
// own connection, while a real client (node-zookeeper-client) keeps working.

const MAX_FRAME = 64 * 1024;
const CONNECTIONS = 150;
const seed = Number(process.env.FUZZ_SEED ?? 20261129);

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness({ listener: { maxFrameBytes: MAX_FRAME } });
});
afterAll(() => harness.stop());

function frame(bytes: Uint8Array): Buffer {
  const head = Buffer.alloc(4);
  head.writeInt32BE(bytes.byteLength);
  return Buffer.concat([head, bytes]);
}

function connectFrame(): Buffer {
  const writer = new JuteWriter();
  codec.write(writer, 'ConnectRequest', { protocolVersion: 0, lastZxidSeen: 0n, timeOut: 10_000, sessionId: 0n, passwd: new Uint8Array(16) });
  return Buffer.from(writer.finish(true));
}

function header(xid: number, opcode: number): Buffer {
  return Buffer.from(codec.write(new JuteWriter(), 'RequestHeader', { xid, type: opcode }).finish());
}

/** One hostile stream and whether the listener must close the connection for it. */
type Attack = { readonly kind: string; readonly bytes: Buffer; readonly mustClose: boolean };

function attack(prng: Prng): Attack {
  const random = (length: number) => Buffer.from(Array.from({ length }, () => prng.int(0, 255)));
  const int = (value: number) => {
    const bytes = Buffer.alloc(4);
    bytes.writeInt32BE(value);
    return bytes;
  };
  switch (prng.int(0, 8)) {
    case 0:
      return { kind: 'random bytes', bytes: random(prng.int(1, 3000)), mustClose: false };
    case 1:
      return { kind: 'length over the limit', bytes: Buffer.concat([int(prng.pick([MAX_FRAME + 1, 0x7fffffff, 0x72756f6b])), random(prng.int(0, 100))]), mustClose: true };
    case 2:
      return { kind: 'negative length', bytes: Buffer.concat([int(-prng.int(2, 0x7fffffff)), random(10)]), mustClose: true };
    case 3:
      return { kind: 'truncated ConnectRequest', bytes: frame(connectFrame().subarray(4, 4 + prng.int(0, 27))), mustClose: true };
    case 4:
      return { kind: 'unknown opcode', bytes: Buffer.concat([connectFrame(), frame(Buffer.concat([header(1, prng.pick([10, 23, 99, 108, 200, -99, 0x7fffffff])), random(8)]))]), mustClose: true };
    case 5: {
      const opcode = prng.pick([OP.create, OP.delete, OP.setData, OP.getData, OP.multi, OP.setWatches, OP.getChildren2, OP.sync, OP.auth]);
      return { kind: `truncated request ${opcode}`, bytes: Buffer.concat([connectFrame(), frame(Buffer.concat([header(1, opcode), int(prng.int(5, 0x7fffffff))]))]), mustClose: true };
    }
    case 6:
      return {
        kind: 'vector count beyond its bytes',
        bytes: Buffer.concat([connectFrame(), frame(Buffer.concat([header(-8, OP.setWatches), Buffer.alloc(8), int(prng.int(1_000, 0x7fffffff))]))]),
        mustClose: true,
      };
    case 7: {
      const path = Buffer.from([0xff, 0xfe, 0x2f, 0xc0]);
      return { kind: 'path not UTF-8', bytes: Buffer.concat([connectFrame(), frame(Buffer.concat([header(1, OP.getData), int(path.byteLength), path, Buffer.from([0])]))]), mustClose: true };
    }
    default:
      return { kind: 'random frames after a handshake', bytes: Buffer.concat([connectFrame(), ...Array.from({ length: prng.int(1, 5) }, () => frame(random(prng.int(0, 200))))]), mustClose: false };
  }
}

describe('the listener under hostile byte streams', () => {
  test(`${CONNECTIONS} hostile connections (seed ${seed}) close cleanly while a real client is served`, async () => {
    const good = await Nzk.connect(harness.connect);
    try {
      await good.create('/fuzz', '0');
      const prng = new Prng(seed);
      const kinds = new Map<string, number>();
      for (let index = 0; index < CONNECTIONS; index += 10) {
        const batch = Array.from({ length: 10 }, () => attack(prng));
        const outcomes = await Promise.all(
          batch.map(async (hostile) => {
            const client = await RawClient.open(harness.port);
            client.write(hostile.bytes);
            if (!hostile.mustClose) client.socket.end();
            const closed = await client.closedWithin(5_000);
            client.close();
            return { hostile, closed };
          }),
        );
        for (const { hostile, closed } of outcomes) {
          kinds.set(hostile.kind.split(' ')[0]!, (kinds.get(hostile.kind.split(' ')[0]!) ?? 0) + 1);
          expect(closed, `seed ${seed}: ${hostile.kind} left the connection open`).toBe(true);
        }
        // Other clients are served all along.
        await good.setData('/fuzz', String(index));
        expect((await good.getData('/fuzz')).data).toBe(String(index));
      }
      expect(kinds.size).toBeGreaterThanOrEqual(6);
      await expect.poll(() => harness.listener.connectionCount).toBe(1);
      const fresh = await Nzk.connect(harness.connect);
      expect((await fresh.getData('/fuzz')).data).toBe(String(CONNECTIONS - 10));
      fresh.close();
    } finally {
      good.close();
    }
  });

  test('a frame larger than the limit is refused before it is buffered', async () => {
    const client = await RawClient.open(harness.port);
    await client.handshake();
    const head = Buffer.alloc(4);
    head.writeInt32BE(MAX_FRAME + 1);
    client.write(head);
    expect(await client.closedWithin(5_000)).toBe(true);
  });

  test('unimplemented requests answer Unimplemented and the connection goes on', async () => {
    const client = await RawClient.open(harness.port);
    await client.handshake();
    const ttl = await client.request(1, OP.createTTL, null);
    expect(ttl?.header.err).toBe(-6);
    const acl = await client.request(2, OP.create, 'CreateRequest', { path: '/demo/acl', data: null, acl: [{ perms: 1, id: { scheme: 'digest', id: 'u:x' } }], flags: 0 });
    expect(acl?.header.err).toBe(-6);
    const container = await client.request(3, OP.create, 'CreateRequest', { path: '/demo/c', data: null, acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }], flags: 4 });
    expect(container?.header.err).toBe(-6);
    const ok = await client.request(4, OP.exists, 'ExistsRequest', { path: '/demo', watch: false });
    expect(ok?.header.err).toBe(0);
    client.close();
  });
});
