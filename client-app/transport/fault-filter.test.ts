import { describe, expect, it, vi } from 'vitest';
import type { Message } from '../../core/messages.ts';
import type { ServerId } from '../../core/types.ts';
import { FaultFilter, type LinkAwareTransport, type TappedMessage } from './fault-filter.ts';

/** A transport with two open links whose sends are recorded and whose receives we trigger. */
class FakeTransport implements LinkAwareTransport {
  readonly sent: { to: ServerId; message: Message }[] = [];
  receive: (from: ServerId, data: unknown) => void = () => undefined;
  open: ServerId[] = [2, 3];
  send(to: ServerId, message: Message): void {
    this.sent.push({ to, message });
  }
  onMessage(callback: (from: ServerId, data: unknown) => void): void {
    this.receive = callback;
  }
  onLinkUp(): void {}
  onLinkDown(): void {}
  openPeers(): ServerId[] {
    return this.open;
  }
}

function ping(from: ServerId, epoch: number): Message {
  return { kind: 'PING', from, epoch };
}

function setUp() {
  const inner = new FakeTransport();
  const tapped: TappedMessage[] = [];
  const filter = new FaultFilter(inner, (message) => tapped.push(message), () => undefined);
  const received: unknown[] = [];
  const ups: ServerId[] = [];
  const downs: ServerId[] = [];
  filter.onMessage((_, data) => received.push(data));
  filter.onLinkUp((peer) => ups.push(peer));
  filter.onLinkDown((peer) => downs.push(peer));
  return { inner, filter, tapped, received, ups, downs };
}

describe('FaultFilter', () => {
  it('passes everything through by default and taps it, parsing received text once', () => {
    const { inner, filter, tapped, received, ups } = setUp();
    expect(ups).toEqual([2, 3]);
    filter.send(2, ping(1, 1));
    inner.receive(3, JSON.stringify(ping(3, 1)));
    expect(inner.sent).toHaveLength(1);
    expect(received).toEqual([ping(3, 1)]);
    expect(tapped.map((t) => [t.dir, t.peer, t.dropped])).toEqual([
      ['out', 2, null],
      ['in', 3, null],
    ]);
  });

  it('a cut link drops both ways and reports the link down; restore reports it up', () => {
    const { inner, filter, tapped, received, ups, downs } = setUp();
    filter.cut(2);
    expect(downs).toEqual([2]);
    expect(filter.openPeers()).toEqual([3]);
    filter.send(2, ping(1, 1));
    inner.receive(2, JSON.stringify(ping(2, 1)));
    filter.send(3, ping(1, 1));
    expect(inner.sent.map((s) => s.to)).toEqual([3]);
    expect(received).toEqual([]);
    expect(tapped.filter((t) => t.dropped === 'cut')).toHaveLength(2);
    filter.restore(2);
    expect(ups).toEqual([2, 3, 2]);
    filter.send(2, ping(1, 2));
    expect(inner.sent.map((s) => s.to)).toEqual([3, 2]);
  });

  it('delays sends, keeping each link in order even when the delay shrinks', () => {
    vi.useFakeTimers();
    try {
      const { inner, filter } = setUp();
      filter.setDelay(1000);
      filter.send(2, ping(1, 1));
      filter.setDelay(10);
      filter.send(2, ping(1, 2));
      vi.advanceTimersByTime(500);
      expect(inner.sent).toHaveLength(0);
      vi.advanceTimersByTime(600);
      expect(inner.sent.map((s) => (s.message as { epoch: number }).epoch)).toEqual([1, 2]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a hung tab neither sends nor processes, and reports no link down', () => {
    const { inner, filter, received, downs } = setUp();
    filter.setHung(true);
    filter.send(2, ping(1, 1));
    inner.receive(2, JSON.stringify(ping(2, 1)));
    expect(inner.sent).toEqual([]);
    expect(received).toEqual([]);
    expect(downs).toEqual([]);
    filter.setHung(false);
    inner.receive(2, JSON.stringify(ping(2, 1)));
    expect(received).toHaveLength(1);
  });
});
