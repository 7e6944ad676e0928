import { describe, expect, it } from 'vitest';
import type { Clock } from './clock.ts';
import { serverConfig } from './config.ts';
import { KvMachine } from './sim/kv-machine.ts';
import { applyPersistOps } from './persist-batch.ts';
import type { Message } from './messages.ts';
import { ZabNode } from './node.ts';
import type { ApplyResult } from './state-machine.ts';
import { EMPTY_PERSISTED_STATE, type PersistedState, type PersistOp, type Storage } from './storage.ts';
import type { BatchBounds, Transport } from './transport.ts';
import type { ServerId } from './types.ts';
import { zxid } from './zxid.ts';

/** A storage whose writes complete only when the test says so. */
class ManualStorage implements Storage {
  readonly storageId = 'manual';
  readonly batches: (readonly PersistOp[])[] = [];
  loads = 0;
  durable: PersistedState = EMPTY_PERSISTED_STATE;
  private pending: { batch: readonly PersistOp[]; resolve: () => void; reject: (error: Error) => void } | null = null;

  loadState(): Promise<PersistedState> {
    this.loads++;
    return Promise.resolve(this.durable);
  }

  write(batch: readonly PersistOp[]): Promise<void> {
    expect(this.pending, 'the driver never has two writes in flight').toBeNull();
    this.batches.push(batch);
    return new Promise((resolve, reject) => (this.pending = { batch, resolve, reject }));
  }

  get inFlight(): boolean {
    return this.pending !== null;
  }

  async complete(): Promise<void> {
    const pending = this.pending!;
    this.pending = null;
    this.durable = applyPersistOps(this.durable, pending.batch);
    pending.resolve();
    await settle();
  }

  /** The write in flight fails (quota exceeded, a broken disk). */
  async failWrite(error: Error): Promise<void> {
    const pending = this.pending!;
    this.pending = null;
    pending.reject(error);
    await settle();
  }
}

class ManualTransport implements Transport {
  readonly sent: { to: ServerId; message: Message }[] = [];
  private receive: (from: ServerId, data: unknown) => void = () => {};
  private down: (peer: ServerId) => void = () => {};
  private bounds: BatchBounds | null = null;
  send(to: ServerId, message: Message): void {
    this.sent.push({ to, message });
  }
  onMessage(callback: (from: ServerId, data: unknown) => void): void {
    this.receive = callback;
  }
  onLinkUp(): void {}
  onLinkDown(callback: (peer: ServerId) => void): void {
    this.down = callback;
  }
  deliver(from: ServerId, data: unknown): void {
    this.receive(from, data);
  }
  /** Messages that arrived together (one channel message), as the browser's transport hands them over. */
  deliverBatch(from: ServerId, batch: readonly unknown[]): void {
    this.bounds?.begin();
    try {
      for (const data of batch) this.receive(from, data);
    } finally {
      this.bounds?.end();
    }
  }
  onBatch(bounds: BatchBounds): void {
    this.bounds = bounds;
  }
  linkDown(peer: ServerId): void {
    this.down(peer);
  }
  kindsSent(): string[] {
    return this.sent.splice(0).map(({ message }) => message.kind);
  }
}

class ManualClock implements Clock {
  private time = 0;
  private next = 1;
  private readonly timers = new Map<number, { at: number; callback: () => void }>();
  now(): number {
    return this.time;
  }
  setTimer(delayMs: number, callback: () => void): number {
    this.timers.set(this.next, { at: this.time + delayMs, callback });
    return this.next++;
  }
  clearTimer(id: number): void {
    this.timers.delete(id);
  }
  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      const due = [...this.timers].filter(([, timer]) => timer.at <= until).sort(([, a], [, b]) => a.at - b.at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.time = due[1].at;
      due[1].callback();
    }
    this.time = until;
  }
}

const settle = async () => {
  for (let turn = 0; turn < 10; turn++) await Promise.resolve();
};

const put = (counter: number) => ({ zxid: zxid(1, counter), txn: { originator: 3, requestId: counter, type: 'op' as const, op: { type: 'put', key: 'k', value: `v${counter}` } } });

/** Node 2 of 3, synced with leader 3 in epoch 1 and serving. */
async function servingFollower(requestTimeoutMs = 1000) {
  const storage = new ManualStorage();
  const transport = new ManualTransport();
  const clock = new ManualClock();
  const node = new ZabNode({
    config: serverConfig(2, 3),
    createMachine: () => new KvMachine(),
    transport,
    storage,
    clock,
    tickMs: 50,
    requestTimeoutMs,
  });
  node.start();
  await settle();
  transport.deliver(3, { kind: 'coordinator', from: 3, rank: { currentEpoch: 0, lastZxid: zxid(0, 0), sid: 3, storageId: 'storage-3' }, leading: false });
  transport.deliver(3, { kind: 'NEWEPOCH', from: 3, epoch: 1, quorumAccepted: false });
  await storage.complete();
  transport.deliver(3, { kind: 'NEWLEADER', from: 3, epoch: 1, zxid: zxid(0, 0) });
  await storage.complete();
  transport.deliver(3, { kind: 'UPTODATE', from: 3, epoch: 1, committedZxid: zxid(0, 0) });
  expect(node.view().serving).toBe(true);
  transport.sent.length = 0;
  return { node, storage, transport, clock };
}

/** A cluster of one voter, leading and serving, whose client requests' writes wait for `release()`. */
async function servingLoneLeader() {
  const storage = new ManualStorage();
  const transport = new ManualTransport();
  const releases: (() => void)[] = [];
  const clock = new ManualClock();
  const node = new ZabNode({
    config: serverConfig(1, 1),
    createMachine: () => new KvMachine(),
    transport,
    storage,
    clock,
    tickMs: 50,
    requestTimeoutMs: 1000,
    deferWrites: (release) => releases.push(release),
  });
  node.start();
  await settle();
  for (let tick = 0; !node.serving || storage.inFlight; tick++) {
    if (tick > 200) throw new Error(`a lone voter should lead: ${JSON.stringify(node.view())}`);
    if (storage.inFlight) await storage.complete();
    else clock.advance(50);
  }
  return { node, storage, releases };
}

describe('ZabNode, the driver', () => {
  it('client requests submitted in one turn are one write, started when deferWrites releases them', async () => {
    const { node, storage, releases } = await servingLoneLeader();
    const batchesBefore = storage.batches.length;
    const results: ApplyResult[] = [];
    for (const value of ['a', 'b', 'c']) node.request('op', { type: 'put', key: 'k', value }, (result) => results.push(result));
    expect(storage.batches.length).toBe(batchesBefore);
    expect(releases.length).toBe(1);
    releases.shift()!();
    expect(storage.batches.length).toBe(batchesBefore + 1);
    expect(storage.batches[batchesBefore]!.flatMap((op) => (op.kind === 'appendProposals' ? op.proposals.map((each) => each.txn.op) : []))).toEqual(['a', 'b', 'c'].map((value) => ({ type: 'put', key: 'k', value })));
    await storage.complete();
    expect(results.map((result) => result.ok)).toEqual([true, true, true]);
  });

  it('group commit: proposals that arrive while a write is in flight are written in one batch, acked after it by one cumulative ack', async () => {
    const { storage, transport } = await servingFollower();
    const batchesBefore = storage.batches.length;
    transport.deliver(3, { kind: 'transaction_proposal', from: 3, epoch: 1, proposal: put(1) });
    for (const counter of [2, 3, 4]) transport.deliver(3, { kind: 'transaction_proposal', from: 3, epoch: 1, proposal: put(counter) });
    expect(transport.kindsSent()).toEqual([]); // nothing is durable yet: no ack
    await storage.complete();
    expect(transport.sent.map(({ message }) => message.kind === 'transaction_acknowledge' && message.zxid.counter)).toEqual([1]);
    transport.sent.length = 0;
    expect(storage.batches.length).toBe(batchesBefore + 2);
    const grouped = storage.batches[batchesBefore + 1]!;
    expect(grouped.flatMap((op) => (op.kind === 'appendProposals' ? op.proposals.map((each) => each.zxid.counter) : []))).toEqual([2, 3, 4]);
    await storage.complete();
    expect(transport.sent.map(({ message }) => message.kind === 'transaction_acknowledge' && message.zxid.counter)).toEqual([4]);
  });

  it('proposals that arrive together in one batch are one write, started when the batch ends', async () => {
    const { storage, transport } = await servingFollower();
    const batchesBefore = storage.batches.length;
    transport.deliverBatch(3, [1, 2, 3].map((counter) => ({ kind: 'transaction_proposal', from: 3, epoch: 1, proposal: put(counter) })));
    expect(storage.batches.length).toBe(batchesBefore + 1);
    const written = storage.batches[batchesBefore]!;
    expect(written.flatMap((op) => (op.kind === 'appendProposals' ? op.proposals.map((each) => each.zxid.counter) : []))).toEqual([1, 2, 3]);
    await storage.complete();
    expect(transport.sent.map(({ message }) => message.kind === 'transaction_acknowledge' && message.zxid.counter)).toEqual([3]);
    // A single message still starts its write at once.
    transport.deliver(3, { kind: 'transaction_proposal', from: 3, epoch: 1, proposal: put(4) });
    expect(storage.inFlight).toBe(true);
  });

  it('on a role change it fences the old role’s acks, waits for the write in flight, then reloads', async () => {
    const { node, storage, transport } = await servingFollower();
    transport.deliver(3, { kind: 'transaction_proposal', from: 3, epoch: 1, proposal: put(1) });
    const loads = storage.loads;
    transport.linkDown(3); // the leader is gone: RECOVERING, then LOOKING
    expect(node.view().state).toBe('RECOVERING');
    await settle();
    expect(storage.loads).toBe(loads); // not while the write is in flight
    await storage.complete();
    expect(storage.loads).toBe(loads + 1);
    const sent = transport.sent.map(({ message }) => message);
    expect(sent.map((message) => message.kind)).not.toContain('transaction_acknowledge');
    // It advertises what is durable: the write landed, so its last zxid is 1:1.
    const election = sent.find((message) => message.kind === 'election');
    expect(election && election.kind === 'election' && election.rank.lastZxid).toEqual(zxid(1, 1));
  });

  it('a request that gets no answer fails with OperationTimeout; a stopped node answers ConnectionLoss', async () => {
    // Shorter than the follower's own patience (syncLimit 10 ticks of 50 ms), so the leader's silence is not what ends it.
    const { node, clock } = await servingFollower(200);
    const results: ApplyResult[] = [];
    node.request('op', { type: 'put', key: 'k', value: 'x' }, (result) => results.push(result));
    clock.advance(199);
    expect(results).toEqual([]);
    clock.advance(1);
    expect(results).toEqual([{ ok: false, error: 'OperationTimeout' }]);
    node.request('op', { type: 'put', key: 'k', value: 'y' }, (result) => results.push(result));
    node.stop();
    expect(results[1]).toEqual({ ok: false, error: 'ConnectionLoss' });
  });

  it('refuses and counts malformed and spoofed input without changing anything', async () => {
    const { node, transport } = await servingFollower();
    const view = node.view();
    transport.deliver(3, '{not json');
    transport.deliver(3, { kind: 'PING', from: 3, epoch: -1 });
    transport.deliver(1, { kind: 'PING', from: 3, epoch: 1 }); // arrives on 1's link, claims to be 3
    transport.deliver(3, 'x'.repeat(16 * 1024 * 1024 + 1));
    expect(node.stats.droppedMessages).toBe(4);
    expect(node.stats.lastDropReason).toMatch(/oversized/);
    expect(transport.kindsSent()).toEqual([]);
    expect(node.view()).toEqual(view);
  });

  it('sync content that contradicts itself is refused and logged; the server looks again instead of stopping', async () => {
    const { node, storage, transport } = await servingFollower();
    const failures: unknown[] = [];
    node.onFailure((error) => failures.push(error));
    // A TRUNC to a point this server never had can only come from a broken or fake leader.
    transport.deliver(3, { kind: 'transaction_proposal', from: 3, epoch: 1, proposal: put(1) });
    transport.linkDown(3);
    await storage.complete();
    transport.deliver(3, { kind: 'coordinator', from: 3, rank: { currentEpoch: 1, lastZxid: zxid(1, 1), sid: 3, storageId: 'storage-3' }, leading: true });
    transport.deliver(3, { kind: 'NEWEPOCH', from: 3, epoch: 1, quorumAccepted: true });
    await storage.complete();
    transport.deliver(3, { kind: 'TRUNC', from: 3, epoch: 1, zxid: zxid(0, 5) });
    await settle();
    expect(failures).toEqual([]);
    expect(node.stopped).toBe(false);
    expect(node.inspect().state).toBe('LOOKING');
    expect(node.view().lastZxid).toEqual(zxid(1, 1));
    expect(node.query({ type: 'get', key: 'k' })).toEqual({ ok: false, error: 'ConnectionLoss' });
  });

  it('a storage failure stops the server at once and reports it', async () => {
    const { node, storage, transport } = await servingFollower();
    const failures: unknown[] = [];
    node.onFailure((error) => failures.push(error));
    transport.deliver(3, { kind: 'transaction_proposal', from: 3, epoch: 1, proposal: put(1) });
    await storage.failWrite(new Error('QuotaExceededError'));
    expect(failures).toHaveLength(1);
    expect(String(failures[0])).toMatch(/QuotaExceededError/);
    expect(node.stopped).toBe(true);
    expect(node.serving).toBe(false);
    expect(node.query({ type: 'get', key: 'k' })).toEqual({ ok: false, error: 'ConnectionLoss' });
  });
});
