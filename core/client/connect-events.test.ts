import { describe, expect, it } from 'vitest';
import type { Clock, TimerId } from '../clock.ts';
import type { AppliedTxn } from '../ready.ts';
import type { ApplyResult } from '../state-machine.ts';
import type { Json } from '../types.ts';
import { ZERO_ZXID, zxid, type Zxid } from '../zxid.ts';
import type { ServerHandle } from './server-handle.ts';
import { TabKeeperClient } from './tabkeeper-client.ts';

/**
 * A connecting client does not poll its way back: it tries again as soon as the server it
 * found serves (or has caught up with what the client saw). Hand-driven time and server, so
 * that only those events can connect it (the fallback poll is an hour away).
 */

class ManualClock implements Clock {
  private time = 0;
  private nextId = 1;
  private readonly timers = new Map<TimerId, { at: number; callback: () => void }>();

  now(): number {
    return this.time;
  }

  setTimer(delayMs: number, callback: () => void): TimerId {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + delayMs, callback });
    return id;
  }

  clearTimer(id: TimerId): void {
    this.timers.delete(id);
  }

  /** Runs the timers due within `ms`, in time order. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = [...this.timers].filter(([, timer]) => timer.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (due === undefined) break;
      this.timers.delete(due[0]);
      this.time = due[1].at;
      due[1].callback();
    }
    this.time = end;
  }
}

class FakeServer implements ServerHandle {
  readonly sid = 1;
  serving = false;
  committedZxid: Zxid = ZERO_ZXID;
  readonly stopped = false;
  readonly requests: { type: string; op: Json; done: (result: ApplyResult) => void }[] = [];
  private readonly servingListeners = new Set<(serving: boolean) => void>();
  private readonly appliedListeners = new Set<(applied: AppliedTxn) => void>();

  request(type: 'op' | 'sync', op: Json, done: (result: ApplyResult) => void): void {
    this.requests.push({ type, op, done });
  }
  query(): ApplyResult {
    return { ok: true, value: null };
  }
  touchSessions(): void {}
  hasSession(): boolean {
    return true;
  }
  onApplied(listener: (applied: AppliedTxn) => void): () => void {
    this.appliedListeners.add(listener);
    return () => this.appliedListeners.delete(listener);
  }
  onServingChange(listener: (serving: boolean) => void): () => void {
    this.servingListeners.add(listener);
    return () => this.servingListeners.delete(listener);
  }
  setServing(serving: boolean): void {
    this.serving = serving;
    for (const listener of [...this.servingListeners]) listener(serving);
  }
  apply(at: Zxid): void {
    this.committedZxid = at;
    const applied = { proposal: { zxid: at, txn: { originator: 1, requestId: 0, type: 'op', op: null } }, result: { ok: true, value: null }, events: [] } as AppliedTxn;
    for (const listener of [...this.appliedListeners]) listener(applied);
  }
}

const HOUR_MS = 3_600_000;

describe('a connecting client waits for events, not a poll', () => {
  it('creates its session as soon as its server starts serving', () => {
    const clock = new ManualClock();
    const server = new FakeServer();
    const client = new TabKeeperClient({ sessionId: 's1', sessionTimeoutMs: 30_000, clock, pickServer: () => server, pollMs: HOUR_MS });
    clock.advance(1_000);
    expect(server.requests).toHaveLength(0);
    server.setServing(true);
    clock.advance(0);
    expect(server.requests.map((request) => (request.op as { type: string }).type)).toEqual(['createSession']);
    server.requests[0]!.done({ ok: true, value: null });
    expect(client.state).toBe('CONNECTED');
  });

  it('after losing its server, reattaches once the server serves again and has applied what the client saw', () => {
    const clock = new ManualClock();
    const server = new FakeServer();
    server.setServing(true);
    const client = new TabKeeperClient({ sessionId: 's2', sessionTimeoutMs: 30_000, clock, pickServer: () => server, pollMs: HOUR_MS });
    server.apply(zxid(1, 5));
    server.requests[0]!.done({ ok: true, value: null });
    expect(client.state).toBe('CONNECTED');
    server.setServing(false);
    clock.advance(0);
    expect(client.state).toBe('CONNECTING');
    // Serving again, but behind what the client saw (1:5): not yet.
    server.committedZxid = zxid(1, 3);
    server.setServing(true);
    clock.advance(1_000);
    expect(client.state).toBe('CONNECTING');
    server.apply(zxid(1, 5));
    clock.advance(0);
    expect(client.state).toBe('CONNECTED');
  });
});
