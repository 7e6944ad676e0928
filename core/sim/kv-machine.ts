import * as v from 'valibot';
import { fnv1a } from '../hash.ts';
import type { Applied, ApplyResult, StateMachine } from '../state-machine.ts';
import type { Json } from '../types.ts';

/**
 * A small key-value state machine: what the ZAB core is tested with before the ZooKeeper data
 * tree plugs into the same interface. Values are strings; a missing key reads as null.
 */
export const KV_MAX_KEY_LENGTH = 256;
/** As the data tree's MAX_DATA_BYTES (ZooKeeper's jute.maxbuffer): big enough for the simulator's 1 MiB values. */
export const KV_MAX_VALUE_LENGTH = 1024 * 1024;

const KvOpSchema = v.variant('type', [
  v.strictObject({
    type: v.literal('put'),
    key: v.pipe(v.string(), v.minLength(1), v.maxLength(KV_MAX_KEY_LENGTH)),
    value: v.pipe(v.string(), v.maxLength(KV_MAX_VALUE_LENGTH)),
  }),
  v.strictObject({
    type: v.literal('get'),
    key: v.pipe(v.string(), v.minLength(1), v.maxLength(KV_MAX_KEY_LENGTH)),
  }),
]);

export type KvOp = v.InferOutput<typeof KvOpSchema>;

const KvSnapshotSchema = v.array(v.tuple([v.string(), v.string()]));

export class KvMachine implements StateMachine {
  private entries = new Map<string, string>();

  validateOp(op: unknown): string | null {
    const result = v.safeParse(KvOpSchema, op);
    return result.success ? null : `invalid kv op: ${result.issues[0]?.message ?? 'unknown issue'}`;
  }

  /** A kv request is its own txn: it depends on nothing but itself. */
  prepare(op: Json): Json {
    return op;
  }

  apply(txn: Json): Applied {
    const kvOp = txn as KvOp; // validated at the boundary before it was proposed
    if (kvOp.type === 'put') {
      this.entries.set(kvOp.key, kvOp.value);
      return { result: { ok: true, value: null }, events: [] };
    }
    return { result: this.query(txn), events: [] };
  }

  query(op: Json): ApplyResult {
    const kvOp = op as KvOp;
    if (kvOp.type !== 'get') return { ok: false, error: 'BadArguments' };
    return { ok: true, value: this.entries.get(kvOp.key) ?? null };
  }

  get(key: string): string | undefined {
    return this.entries.get(key);
  }

  snapshot(): Json {
    return [...this.entries.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  restore(data: Json): void {
    const pairs = v.parse(KvSnapshotSchema, data);
    this.entries = new Map(pairs);
  }

  digest(): string {
    return fnv1a(JSON.stringify(this.snapshot()));
  }
}
