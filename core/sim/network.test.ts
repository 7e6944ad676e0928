import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, MAX_MESSAGE_BYTES, type Message } from '../messages.ts';
import type { Transport } from '../transport.ts';
import type { ServerId } from '../types.ts';
import type { NetworkTraceEvent, SimNetworkOptions } from './network.ts';
import { SimNetwork } from './network.ts';
import { Prng } from './prng.ts';
import { SimWorld } from './world.ts';

function ping(from: ServerId, epoch: number): Message {
  return { kind: 'PING', from, epoch };
}

/** A network of attached servers that records what each one receives and hears about links. */
function setup(sids: ServerId[], seed = 1, options: SimNetworkOptions = { delayMsMin: 1, delayMsMax: 10 }) {
  const world = new SimWorld();
  const network = new SimNetwork(world, new Prng(seed), options);
  const received: string[] = [];
  const links: string[] = [];
  const transports = new Map<ServerId, Transport>();
  const attach = (sid: ServerId): Transport => {
    const transport = network.attach(sid);
    transport.onMessage((from, data) => {
      const decoded = decodeMessage(data);
      const text = decoded.ok ? `${decoded.message.kind}#${(decoded.message as { epoch: number }).epoch}` : String(data);
      received.push(`${from}->${sid} ${text}`);
    });
    transport.onLinkUp((peer) => links.push(`${sid} up ${peer}`));
    transport.onLinkDown((peer) => links.push(`${sid} down ${peer}`));
    transports.set(sid, transport);
    return transport;
  };
  for (const sid of sids) attach(sid);
  const send = (from: ServerId, to: ServerId, epoch: number): void => transports.get(from)!.send(to, ping(from, epoch));
  const sortedLinks = (): string[] => links.splice(0).sort();
  return { world, network, received, links, sortedLinks, transports, attach, send };
}

describe('SimNetwork: links', () => {
  it('keeps every directed link FIFO under random delays', async () => {
    // Goal: per-link order survives delays drawn per message. Method: many seeds, random
    // senders and send times; the epochs each receiver sees from each sender must increase.
    for (let seed = 1; seed <= 30; seed++) {
      const { world, network, received, send } = setup([1, 2, 3], seed, { delayMsMin: 0, delayMsMax: 50 });
      const prng = new Prng(seed + 1000);
      let sent = 0;
      for (let i = 0; i < 300; i++) {
        const from = prng.int(1, 3);
        const to = ((from + prng.int(0, 1)) % 3) + 1;
        world.schedule(prng.int(0, 200), () => send(from, to, sent++));
      }
      await world.runUntil(1000);
      expect(received).toHaveLength(300);
      expect(network.messagesDelivered).toBe(300);
      const lastEpoch = new Map<string, number>();
      for (const line of received) {
        const [pair, text] = line.split(' ') as [string, string];
        const epoch = Number(text.split('#')[1]);
        expect(epoch).toBeGreaterThan(lastEpoch.get(pair) ?? -1);
        lastEpoch.set(pair, epoch);
      }
    }
  });

  it('delivers after a delay within the range when nothing is queued ahead', async () => {
    const { world, network } = setup([1, 2], 3, { delayMsMin: 5, delayMsMax: 9 });
    const delays: number[] = [];
    network.onTrace((event) => {
      if (event.kind === 'deliver') delays.push(event.time - Number((event.message as { epoch: number }).epoch));
    });
    const transport = network.attach(3);
    for (let time = 0; time < 2000; time += 20) world.schedule(time, () => transport.send(1, ping(3, time)));
    await world.runUntil(3000);
    expect(Math.min(...delays)).toBe(5);
    expect(Math.max(...delays)).toBe(9);
  });

  it('delivers the encoded text of what was sent, as a browser transport does', async () => {
    const { world, network } = setup([1, 2]);
    const message = ping(1, 7);
    let got: unknown = null;
    network.attach(3).onMessage((_from, data) => (got = data));
    network.attach(4).send(3, message);
    await world.runUntil(100);
    expect(got).toBe(encodeMessage(message));
  });

  it('refuses a message above the transport limit and reports it instead of delivering it', async () => {
    const { world, network } = setup([1, 2]);
    const oversized: string[] = [];
    network.onOversized((from, to, message, bytes) => oversized.push(`${from}->${to} ${message.kind} ${bytes > MAX_MESSAGE_BYTES}`));
    let got: unknown = null;
    network.attach(3).onMessage((_from, data) => (got = data));
    // 12 Mi characters of U+00E9 (under the limit as characters) are 24 MiB of UTF-8: only counting bytes sees it.
    const value = '\u00e9'.repeat(6 * 1024 * 1024);
    const big: Message = { kind: 'transaction_request', from: 4, epoch: 1, requestId: 1, type: 'op', op: { type: 'put', key: 'k', value: value + value } };
    network.attach(4).send(3, big);
    await world.runUntil(100);
    expect(oversized).toEqual(['4->3 transaction_request true']);
    expect(got).toBeNull();
  });

  it('loses messages in flight when a link is cut, and delivers later ones after restore', async () => {
    const { world, network, received, send, sortedLinks } = setup([1, 2]);
    const drops: string[] = [];
    network.onTrace((event) => {
      if (event.kind === 'drop') drops.push(`${event.from}->${event.to} ${event.reason}`);
    });
    await world.runUntil(50);
    sortedLinks();
    send(1, 2, 1);
    send(2, 1, 2);
    network.cut(1, 2, { notify: false });
    send(1, 2, 3);
    await world.runUntil(100);
    network.restore(1, 2);
    send(1, 2, 4);
    await world.runUntil(200);
    expect(received).toEqual(['1->2 PING#4']);
    expect(drops.sort()).toEqual(['1->2 link-down', '1->2 lost-in-flight', '2->1 lost-in-flight']);
    expect(network.messagesDropped).toBe(3);
    // A silent cut never closed the channel as the ends see it: no callbacks at all.
    expect(sortedLinks()).toEqual([]);
  });

  it('notifies both ends of a notified cut, and of the restore that reopens the channel', async () => {
    const { world, network, sortedLinks } = setup([1, 2, 3]);
    await world.runUntil(50);
    expect(sortedLinks()).toEqual(['1 up 2', '1 up 3', '2 up 1', '2 up 3', '3 up 1', '3 up 2']);
    network.cut(1, 2, { notify: true });
    network.cut(1, 2, { notify: true });
    await world.runUntil(100);
    expect(sortedLinks()).toEqual(['1 down 2', '2 down 1']);
    expect(network.isUp(1, 2)).toBe(false);
    expect(network.isUp(2, 1)).toBe(false);
    expect(network.isUp(1, 3)).toBe(true);
    network.restore(1, 2);
    network.restore(1, 2);
    await world.runUntil(150);
    expect(sortedLinks()).toEqual(['1 up 2', '2 up 1']);
  });

  it('cuts one way silently', async () => {
    const { world, network, received, send, sortedLinks } = setup([1, 2]);
    await world.runUntil(50);
    sortedLinks();
    network.cutOneWay(1, 2);
    send(1, 2, 1);
    send(2, 1, 2);
    await world.runUntil(100);
    expect(received).toEqual(['2->1 PING#2']);
    expect(network.isUp(1, 2)).toBe(false);
    expect(network.isUp(2, 1)).toBe(true);
    network.restoreOneWay(1, 2);
    send(1, 2, 3);
    await world.runUntil(150);
    expect(received).toEqual(['2->1 PING#2', '1->2 PING#3']);
    expect(sortedLinks()).toEqual([]);
  });

  it('reopens a closed channel only once both directions are restored', async () => {
    const { world, network, sortedLinks } = setup([1, 2]);
    await world.runUntil(50);
    sortedLinks();
    network.cut(1, 2, { notify: true });
    network.restoreOneWay(1, 2);
    await world.runUntil(100);
    expect(sortedLinks()).toEqual(['1 down 2', '2 down 1']);
    network.restoreOneWay(2, 1);
    await world.runUntil(150);
    expect(sortedLinks()).toEqual(['1 up 2', '2 up 1']);
  });

  it('partitions into groups and heals', async () => {
    const { world, network, received, send, sortedLinks } = setup([1, 2, 3, 4, 5]);
    await world.runUntil(50);
    sortedLinks();
    network.partition([[1, 2], [3, 4]], { notify: true });
    await world.runUntil(100);
    expect(sortedLinks()).toEqual([
      '1 down 3', '1 down 4', '2 down 3', '2 down 4', '3 down 1', '3 down 2', '4 down 1', '4 down 2',
    ]);
    for (const [from, to] of [[1, 2], [1, 3], [3, 4], [4, 2], [5, 1], [3, 5]] as const) send(from, to, 0);
    await world.runUntil(150);
    expect(received.sort()).toEqual(['1->2 PING#0', '3->4 PING#0', '3->5 PING#0', '5->1 PING#0']);
    expect(() => network.partition([[1, 2], [2, 3]], { notify: false })).toThrow(/server 2 is in two groups/);
    network.heal();
    await world.runUntil(200);
    expect(sortedLinks()).toEqual(['1 up 3', '1 up 4', '2 up 3', '2 up 4', '3 up 1', '3 up 2', '4 up 1', '4 up 2']);
    network.heal();
    await world.runUntil(250);
    expect(sortedLinks()).toEqual([]);
  });

  it('applies the filter at send time', async () => {
    const { world, network, received, send } = setup([1, 2, 3]);
    network.setFilter((from, to) => (from === 1 && to === 2 ? 'drop' : 'deliver'));
    send(1, 2, 1);
    send(1, 3, 2);
    network.setFilter(null);
    send(1, 2, 3);
    await world.runUntil(100);
    expect(received.sort()).toEqual(['1->2 PING#3', '1->3 PING#2']);
    expect(network.messagesDropped).toBe(1);
  });

  it('injects raw data FIFO with the link', async () => {
    const { world, network, received, send } = setup([1, 2], 5, { delayMsMin: 0, delayMsMax: 40 });
    send(1, 2, 1);
    network.inject(1, 2, 'not json {');
    network.inject(1, 2, { kind: 'PING', from: 1, epoch: 2 });
    send(1, 2, 3);
    await world.runUntil(200);
    expect(received).toEqual(['1->2 PING#1', '1->2 not json {', '1->2 PING#2', '1->2 PING#3']);
  });

  it('asserts sends to self', () => {
    const { transports } = setup([1, 2]);
    expect(() => transports.get(1)!.send(1, ping(1, 0))).toThrow(/server 1 sent PING to itself/);
  });
});

describe('SimNetwork: attach and detach', () => {
  it('opens channels to attached peers when a server attaches', async () => {
    const { world, attach, sortedLinks } = setup([1, 2]);
    await world.runUntil(50);
    expect(sortedLinks()).toEqual(['1 up 2', '2 up 1']);
    attach(3);
    await world.runUntil(100);
    expect(sortedLinks()).toEqual(['1 up 3', '2 up 3', '3 up 1', '3 up 2']);
  });

  it('drops traffic to and from a detached server, in flight too', async () => {
    const { world, network, received, send, transports, attach } = setup([1, 2, 3]);
    await world.runUntil(50);
    send(1, 2, 1);
    send(2, 3, 2);
    const oldTransport = transports.get(2)!;
    network.detach(2);
    expect(network.isAttached(2)).toBe(false);
    send(1, 2, 3);
    oldTransport.send(3, ping(2, 4));
    await world.runUntil(100);
    expect(received).toEqual([]);
    expect(network.messagesDropped).toBe(4);
    // The restarted server gets a fresh transport; the old one's callbacks never run again.
    attach(2);
    send(1, 2, 5);
    oldTransport.send(1, ping(2, 6));
    await world.runUntil(150);
    expect(received).toEqual(['1->2 PING#5']);
  });

  it('tells peers only about a clean detach, and never tells a dead incarnation', async () => {
    const { world, network, attach, sortedLinks } = setup([1, 2, 3]);
    await world.runUntil(50);
    sortedLinks();
    network.detach(3);
    await world.runUntil(100);
    expect(sortedLinks()).toEqual([]);
    attach(3);
    await world.runUntil(150);
    expect(sortedLinks()).toEqual(['1 up 3', '2 up 3', '3 up 1', '3 up 2']);
    network.cut(1, 3, { notify: true });
    network.detach(3, { notify: true });
    await world.runUntil(200);
    expect(sortedLinks()).toEqual(['1 down 3', '2 down 3']);
    expect(() => network.detach(3)).toThrow(/not attached/);
  });

  it('keeps cut links cut across a restart', async () => {
    const { world, network, received, send, attach, sortedLinks } = setup([1, 2]);
    await world.runUntil(50);
    network.cut(1, 2, { notify: false });
    network.detach(2);
    attach(2);
    sortedLinks();
    send(1, 2, 1);
    await world.runUntil(100);
    expect(received).toEqual([]);
    expect(sortedLinks()).toEqual([]);
    network.restore(1, 2);
    await world.runUntil(150);
    expect(sortedLinks()).toEqual(['1 up 2', '2 up 1']);
  });

  it('traces send, deliver, drop and link callbacks', async () => {
    const { world, network, send } = setup([1, 2]);
    const trace: string[] = [];
    network.onTrace((event: NetworkTraceEvent) =>
      trace.push(`${event.time} ${event.kind} ${event.from}->${event.to}${event.reason ? ` ${event.reason}` : ''}`),
    );
    await world.runUntil(50);
    expect(trace).toEqual(['2 link-up 1->2', '9 link-up 2->1']);
    trace.length = 0;
    send(1, 2, 1);
    network.cutOneWay(2, 1);
    send(2, 1, 2);
    await world.runUntil(100);
    expect(trace).toEqual(['50 send 1->2', '50 send 2->1', '50 drop 2->1 link-down', '57 deliver 1->2']);
  });
});
