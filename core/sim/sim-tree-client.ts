import type { ClientCall } from '../client/tabkeeper-client.ts';
import { TabKeeperClient } from '../client/tabkeeper-client.ts';
import type { ApplyResult } from '../state-machine.ts';
import type { Stat } from '../tree/index.ts';
import type { Json } from '../types.ts';
import { compareZxid, formatZxid, type Zxid } from '../zxid.ts';
import type { ZkHistoryRecord, ZkResult } from './linearizability/index.ts';
import { SimClock } from './sim-clock.ts';
import { OUTCOME_UNKNOWN, SimClientLoop, type SimClientOptions } from './client-loop.ts';
import { payload, tagOf } from './values.ts';

/** Definite errors the ZooKeeper model explains; anything else is dropped from the history. */
const MODELLED_ERRORS = new Set(['NoNode', 'NodeExists', 'BadVersion', 'NotEmpty']);
export const SESSION_TIMEOUT_MS = 2000;

/**
 * A simulated application using the real client API against the data tree: random creates,
 * setData, deletes, synced reads and plain reads over a small tree, recorded in the
 * history format (linearizability/history.ts) for the ZooKeeper linearizability model. Multis go to their own subtree (/m)
 * and are not recorded: the model does not speak multi, so they are checked by convergence
 * and digests only. Plain reads are not linearizable; they are checked for never going back in
 * time. When its session expires it starts a new one, as an application would.
 */
export class SimTreeClient extends SimClientLoop<ZkHistoryRecord> {
  private client: TabKeeperClient;
  private generation = 0;
  private sequence = 0;
  /** Plain reads served at a zxid below one this client had already seen. */
  readsBackInTime: string[] = [];
  private lastServed: Zxid = { epoch: 0, counter: 0 };

  constructor(
    options: SimClientOptions<ZkHistoryRecord>,
    private readonly roots: readonly string[],
  ) {
    super(options);
    this.client = this.newClient();
  }

  private newClient(): TabKeeperClient {
    const cluster = this.cluster;
    return new TabKeeperClient({
      sessionId: `client${this.id}-${this.generation++}`,
      sessionTimeoutMs: SESSION_TIMEOUT_MS,
      // Writes retried across failover are applied once: histories see no unknown outcome from a lost answer.
      exactlyOnce: true,
      clock: new SimClock(cluster.world, { rate: 1, offsetMs: 0 }),
      pickServer: (previous) => cluster.pickServingServer(this.prng, previous),
    });
  }

  /** A session that expired or closed is replaced by a new one, as an application would. */
  protected connect(): boolean {
    if (this.client.state === 'EXPIRED' || this.client.state === 'CLOSED') {
      this.client.abandon();
      this.client = this.newClient();
      this.lastServed = { epoch: 0, counter: 0 };
    }
    return this.client.state === 'CONNECTED';
  }

  protected call(done: (result: ApplyResult) => void): void {
    const { call, record } = this.randomCall();
    if (record) this.history.push(record);
    this.client.call(call, (result) => {
      this.record(call, record, result);
      done(result);
    });
  }

  private path(): string {
    const root = this.prng.pick(this.roots);
    return this.prng.chance(0.5) ? root : `${root}/${this.prng.pick(['x', 'y'])}`;
  }

  private randomCall(): { call: ClientCall; record: ZkHistoryRecord | null } {
    const prng = this.prng;
    const now = this.cluster.world.now;
    const value = `c${this.id}-${this.sequence++}`;
    const base = { client: this.id, call: now, return: null, ok: null } as const;
    const roll = prng.next();
    const sessionId = this.client.sessionId;
    if (roll < 0.25) {
      const sequential = prng.chance(0.2);
      const path = sequential ? `${prng.pick(this.roots)}/s-` : this.path();
      const request = { type: 'create', path, data: payload(prng, value, this.bigValues), ephemeral: false, sequential, sessionId };
      return { call: { kind: 'write', request, path }, record: { ...base, op: 'create', path, value, sequential } };
    }
    if (roll < 0.45) {
      const path = this.path();
      const version = prng.chance(0.7) ? -1 : prng.int(0, 3);
      return { call: { kind: 'write', request: { type: 'setData', path, data: payload(prng, value, this.bigValues), version }, path }, record: { ...base, op: 'setData', path, value, version } };
    }
    if (roll < 0.55) {
      const path = this.path();
      const version = prng.chance(0.7) ? -1 : prng.int(0, 3);
      return { call: { kind: 'write', request: { type: 'delete', path, version }, path }, record: { ...base, op: 'delete', path, version } };
    }
    if (roll < 0.6) {
      const ops: Json[] = [
        // /m itself must exist for the rest to succeed; a multi that recreates it fails NodeExists.
        prng.chance(0.2) ? { type: 'create', path: '/m', data: value, ephemeral: false, sequential: false } : { type: 'check', path: '/m', version: -1 },
        { type: 'create', path: `/m/${prng.int(0, 3)}`, data: value, ephemeral: false, sequential: false },
        { type: 'setData', path: '/m', data: value, version: -1 },
        { type: prng.chance(0.5) ? 'delete' : 'check', path: `/m/${prng.int(0, 3)}`, version: -1 },
      ];
      return { call: { kind: 'write', request: { type: 'multi', ops, sessionId }, path: '/m' }, record: null };
    }
    const type = prng.pick(['getData', 'exists', 'getChildren'] as const);
    const path = type === 'getChildren' ? prng.pick(this.roots) : this.path();
    const synced = prng.chance(0.6);
    // Synced reads are linearizable and recorded; plain reads are checked for monotonicity only.
    return { call: { kind: 'read', request: { type, path }, synced }, record: synced ? { ...base, op: type, path } : null };
  }

  private record(call: ClientCall, record: ZkHistoryRecord | null, result: ApplyResult): void {
    const now = this.cluster.world.now;
    if (call.kind === 'read' && !call.synced && result.ok) {
      const served = this.client.servedZxid;
      if (compareZxid(served, this.lastServed) < 0) this.readsBackInTime.push(`client ${this.id} read at ${formatZxid(served)} after ${formatZxid(this.lastServed)}`);
    }
    if (result.ok || !OUTCOME_UNKNOWN.has(result.error)) this.lastServed = this.client.servedZxid;
    if (record) {
      if (result.ok) {
        record.return = now;
        record.ok = true;
        record.result = resultOf(record.op, result.value) as ZkResult;
      } else if (MODELLED_ERRORS.has(result.error)) {
        record.return = now;
        record.ok = false;
        record.result = result.error as ZkResult;
      } else if (!OUTCOME_UNKNOWN.has(result.error)) {
        // SessionExpired, BadArguments: nothing happened and nothing is explained by the model.
        this.history.splice(this.history.lastIndexOf(record), 1);
      }
    }
  }
}

/** The result as the ZooKeeper model records it (see core/sim/linearizability/zk-*). */
function resultOf(op: string, value: Json): Json {
  switch (op) {
    case 'create':
      return (value as { path: string }).path;
    case 'setData':
      return (value as Stat).version;
    case 'getData': {
      const { data, stat } = value as { data: string; stat: Stat };
      return { data: tagOf(data), version: stat.version };
    }
    case 'exists':
      return value === null ? null : (value as Stat).version;
    case 'getChildren':
      return (value as { children: string[] }).children;
    default:
      return null;
  }
}
