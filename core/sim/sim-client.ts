import type { KvOp } from './kv-machine.ts';
import type { ApplyResult } from '../state-machine.ts';
import type { ServerId } from '../types.ts';
import type { HistoryRecord } from './linearizability/index.ts';
import { OUTCOME_UNKNOWN, SimClientLoop, type SimClientOptions } from './client-loop.ts';
import { payload, tagOf } from './values.ts';

/**
 * A client of the simulated cluster: attached to one server, it issues put and get one at a
 * time and records each call and return in the history format (linearizability/history.ts). Gets go through the log
 * (a read ordered with the writes, as a sync-then-read), so the whole history must be
 * linearizable. When its server stops serving or the outcome of a call is unknown, it moves to
 * another server, as a ZooKeeper client does.
 */
export class SimClient extends SimClientLoop<HistoryRecord> {
  private attached: ServerId;
  private sequence = 0;

  constructor(
    options: SimClientOptions<HistoryRecord>,
    private readonly keys: readonly string[],
  ) {
    super(options);
    this.attached = options.prng.pick(options.cluster.sids());
  }

  protected connect(): boolean {
    const node = this.cluster.node(this.attached);
    if (node && node.inspect().serving) return true;
    // Not connected: nothing was sent, so nothing is recorded. Try another server.
    this.moveToAnotherServer();
    return false;
  }

  protected call(done: (result: ApplyResult) => void): void {
    const key = this.prng.pick(this.keys);
    const isPut = this.prng.chance(0.6);
    const value = `c${this.id}-${this.sequence++}`;
    const op: KvOp = isPut ? { type: 'put', key, value: payload(this.prng, value, this.bigValues) } : { type: 'get', key };
    const record: HistoryRecord = isPut
      ? { client: this.id, op: 'put', path: key, value, call: this.cluster.world.now, return: null, ok: null }
      : { client: this.id, op: 'get', path: key, call: this.cluster.world.now, return: null, ok: null };
    this.history.push(record);
    this.cluster.node(this.attached)!.request('op', op, (result) => {
      this.record(record, result);
      done(result);
    });
  }

  private record(record: HistoryRecord, result: ApplyResult): void {
    if (result.ok) {
      record.return = this.cluster.world.now;
      record.ok = true;
      if (record.op === 'get') record.result = result.value === null ? null : tagOf(result.value as string);
    } else if (OUTCOME_UNKNOWN.has(result.error)) {
      this.moveToAnotherServer();
    } else {
      record.return = this.cluster.world.now;
      record.ok = false;
    }
  }

  private moveToAnotherServer(): void {
    const running = this.cluster.running().filter((sid) => sid !== this.attached);
    if (running.length > 0) this.attached = this.prng.pick(running);
  }
}
