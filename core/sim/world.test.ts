import { describe, expect, it } from 'vitest';
import type { Message } from '../messages.ts';
import type { Storage } from '../storage.ts';
import type { Transport } from '../transport.ts';
import { zxid } from '../zxid.ts';
import { SimNetwork } from './network.ts';
import { Prng } from './prng.ts';
import { SimClock } from './sim-clock.ts';
import { SimStorage } from './sim-storage.ts';
import { SimWorld } from './world.ts';

describe('SimWorld: event order', () => {
  it('runs events by time, and equal times in scheduling order', async () => {
    const world = new SimWorld();
    const order: string[] = [];
    world.schedule(20, () => order.push('c'));
    world.schedule(10, () => order.push('a'));
    world.schedule(20, () => order.push('d'));
    world.schedule(10, () => order.push('b'));
    world.schedule(10, () => world.scheduleAfter(0, () => order.push('b2')));
    await world.runUntil(100);
    expect(order).toEqual(['a', 'b', 'b2', 'c', 'd']);
    expect(world.now).toBe(100);
    expect(world.pendingEvents).toBe(0);
  });

  it('matches a sorted reference under many random schedules and cancels', async () => {
    // Goal: the heap with lazy deletion and compaction orders like a stable sort. Method: random
    // times (many ties), random cancels, compare with sorting (time, sequence).
    for (let seed = 1; seed <= 20; seed++) {
      const prng = new Prng(seed);
      const world = new SimWorld();
      const expected: { time: number; id: number }[] = [];
      const ran: number[] = [];
      const cancelled = new Set<number>();
      for (let i = 0; i < 500; i++) {
        const time = prng.int(0, 50);
        const id = world.schedule(time, () => ran.push(id));
        expected.push({ time, id });
        if (prng.chance(0.3)) {
          const victim = prng.pick(expected).id;
          world.cancel(victim);
          cancelled.add(victim);
        }
      }
      expect(world.pendingEvents).toBe(500 - cancelled.size);
      await world.runUntil(50);
      const reference = expected
        .filter((event) => !cancelled.has(event.id))
        .sort((a, b) => a.time - b.time || a.id - b.id)
        .map((event) => event.id);
      expect(ran).toEqual(reference);
      expect(world.eventsRun).toBe(reference.length);
    }
  });

  it('cancel ignores ids that ran or were cancelled', async () => {
    const world = new SimWorld();
    let runs = 0;
    const id = world.schedule(1, () => runs++);
    await world.runUntil(5);
    world.cancel(id);
    world.cancel(id);
    world.cancel(12345);
    expect(runs).toBe(1);
    expect(world.pendingEvents).toBe(0);
  });

  it('step runs one event and reports whether there was one', async () => {
    const world = new SimWorld();
    world.schedule(7, () => {});
    expect(world.nextEventTime()).toBe(7);
    expect(await world.step()).toBe(true);
    expect(world.now).toBe(7);
    expect(await world.step()).toBe(false);
    expect(world.nextEventTime()).toBeNull();
  });

  it('runWhile stops when the predicate turns false, or at the deadline', async () => {
    const world = new SimWorld();
    let count = 0;
    for (let time = 1; time <= 10; time++) world.schedule(time * 10, () => count++);
    expect(await world.runWhile(() => count < 3, 1000)).toBe(true);
    expect(world.now).toBe(30);
    expect(await world.runWhile(() => count < 100, 75)).toBe(false);
    expect(world.now).toBe(75);
    expect(count).toBe(7);
  });

  it('asserts scheduling in the past and re-entering the loop', async () => {
    const world = new SimWorld();
    await world.runUntil(10);
    expect(() => world.schedule(5, () => {})).toThrow(/before now 10/);
    let reentry: Promise<boolean> | null = null;
    world.schedule(11, () => {
      reentry = world.step();
    });
    await world.runUntil(20);
    await expect(reentry).rejects.toThrow(/already in progress/);
    const other = new SimWorld();
    other.schedule(1, () => other.noteSettledPromise());
    const first = other.runUntil(5);
    await expect(other.runUntil(6)).rejects.toThrow(/already in progress/);
    await first;
  });
});

describe('SimWorld: microtasks', () => {
  it('runs promise continuations at the time of the event that settled them', async () => {
    // Goal: a driver's `await storage.write()` continues at the write's completion time, before
    // later events. Method: settle in an event at t=10, continue through nested async functions.
    const world = new SimWorld();
    const log: string[] = [];
    let resolve!: () => void;
    const written = new Promise<void>((r) => (resolve = r));
    const inner = async (): Promise<void> => {
      await written;
      log.push(`inner@${world.now}`);
    };
    const outer = async (): Promise<void> => {
      await inner();
      await Promise.resolve();
      log.push(`outer@${world.now}`);
    };
    void outer();
    world.schedule(10, () => {
      resolve();
      world.noteSettledPromise();
    });
    world.schedule(11, () => log.push('event@11'));
    await world.runUntil(20);
    expect(log).toEqual(['inner@10', 'outer@10', 'event@11']);
  });
});

// ----- determinism: the same seed gives a byte-identical trace -----

interface ToyServer {
  transport: Transport;
  storage: Storage;
  clock: SimClock;
  counter: number;
  loaded: boolean;
}

/**
 * A random workload over every building block: servers ping random peers on skewed timers,
 * persist each ping they receive (awaiting the write, as the driver will) and then answer; a
 * fault schedule cuts, restores, partitions and crashes/restarts servers. Returns the trace.
 */
async function runToyWorkload(seed: number): Promise<string[]> {
  const prng = new Prng(seed);
  const world = new SimWorld();
  const network = new SimNetwork(world, prng.fork(), { delayMsMin: 1, delayMsMax: 30 });
  const faults = prng.fork();
  const trace: string[] = [];
  network.onTrace((event) => {
    const kind = event.message === null ? '' : (event.message as Message).kind ?? String(event.message);
    trace.push(`${event.time.toFixed(3)} ${event.kind} ${event.from}->${event.to} ${kind} ${event.reason ?? ''}`);
  });
  const sids = [1, 2, 3, 4, 5];
  const disks = new Map(sids.map((sid) => [sid, new SimStorage(world, prng.fork(), { writeLatencyMsMin: 1, writeLatencyMsMax: 8 })]));
  const servers = new Map<number, ToyServer>();
  const rates = new Map(sids.map((sid) => [sid, 0.95 + prng.next() * 0.1]));

  const boot = (sid: number): void => {
    const server: ToyServer = {
      transport: network.attach(sid),
      storage: disks.get(sid)!.open(),
      clock: new SimClock(world, { rate: rates.get(sid)!, offsetMs: sid * 1000 }),
      counter: 0,
      loaded: false,
    };
    servers.set(sid, server);
    server.transport.onLinkUp((peer) => trace.push(`${world.now} ${sid} up ${peer}`));
    server.transport.onLinkDown((peer) => trace.push(`${world.now} ${sid} down ${peer}`));
    server.transport.onMessage((from, data) => void handle(sid, server, from, JSON.parse(data as string) as Message));
    void (async () => {
      const state = await server.storage.loadState();
      server.counter = state.log.length;
      server.loaded = true;
      trace.push(`${world.now} ${sid} loaded ${state.log.length}`);
      tick(sid, server);
    })();
  };
  const tick = (sid: number, server: ToyServer): void => {
    const peers = sids.filter((peer) => peer !== sid);
    server.transport.send(prng.pick(peers), { kind: 'PING', from: sid, epoch: server.counter });
    server.clock.setTimer(prng.int(5, 40), () => tick(sid, server));
  };
  const handle = async (sid: number, server: ToyServer, from: number, message: Message): Promise<void> => {
    if (message.kind !== 'PING' || !server.loaded) return;
    server.counter++;
    const proposal = { zxid: zxid(1, server.counter), txn: { originator: from, requestId: 0, type: 'op' as const, op: null } };
    await server.storage.write([{ kind: 'appendProposals', proposals: [proposal] }]);
    trace.push(`${world.now.toFixed(3)} ${sid} persisted ${server.counter} at clock ${server.clock.now().toFixed(3)}`);
    server.transport.send(from, { kind: 'PONG', from: sid, epoch: server.counter, sessions: [] });
  };
  const crash = (sid: number): void => {
    const server = servers.get(sid)!;
    server.clock.stop();
    disks.get(sid)!.crash();
    network.detach(sid, { notify: faults.chance(0.5) });
    servers.delete(sid);
    world.scheduleAfter(faults.int(50, 300), () => boot(sid));
  };
  const fault = (): void => {
    const choice = faults.int(0, 5);
    const [a, b] = faults.shuffle([...sids]) as [number, number];
    if (choice === 0) network.cut(a, b, { notify: faults.chance(0.5) });
    else if (choice === 1) network.cutOneWay(a, b);
    else if (choice === 2) network.restore(a, b);
    else if (choice === 3) network.partition([faults.shuffle([...sids]).slice(0, 2), [3]].filter((g) => !g.includes(3) || g.length === 1), { notify: true });
    else if (choice === 4) network.heal();
    else if (servers.has(a)) crash(a);
    world.scheduleAfter(faults.int(20, 200), fault);
  };
  for (const sid of sids) boot(sid);
  world.scheduleAfter(50, fault);
  await world.runUntil(3000);
  for (const [sid, disk] of disks) trace.push(`disk ${sid} ${JSON.stringify(disk.counters)} log ${disk.state().log.length}`);
  trace.push(`network sent ${network.messagesSent} delivered ${network.messagesDelivered} dropped ${network.messagesDropped}`);
  return trace;
}

describe('SimWorld: determinism', () => {
  it('gives a byte-identical trace for the same seed, and a different one for another seed', async () => {
    for (const seed of [1, 2, 3, 99]) {
      const first = (await runToyWorkload(seed)).join('\n');
      const second = (await runToyWorkload(seed)).join('\n');
      expect(second).toBe(first);
      expect(first.length).toBeGreaterThan(10_000);
      expect(first).toContain('persisted');
      expect(first).toContain('drop');
      expect(first).toContain('loaded');
    }
    expect((await runToyWorkload(4)).join('\n')).not.toBe((await runToyWorkload(5)).join('\n'));
  });
});
