import * as v from 'valibot';
import type { Clock, TimerId } from '../../core/clock.ts';
import type { ServerHandle } from '../../core/client/server-handle.ts';
import { TabKeeperClient, type ClientCall } from '../../core/client/tabkeeper-client.ts';
import type { WatchedEvent } from '../../core/client/watches.ts';
import type { ApplyResult } from '../../core/state-machine.ts';
import type { Stat } from '../../core/tree/index.ts';
import type { Json } from '../../core/types.ts';
import { compareZxid, type Zxid } from '../../core/zxid.ts';
import { withTimeout } from '../../lib/deadline.ts';
import { ZkTabOpSchema, type ZkEvent, type ZkRequest, type ZkTabOp, type ZkTabResult } from '../../protocol/zk-tab-ops.ts';

/**
 * The ZooKeeper sessions a tab serves for the ZooKeeper listener (protocol/zk-tab-ops.ts): one
 * TabKeeperClient per ZooKeeper session attached here, whose watch events are queued until the
 * listener's next answer or poll picks them up.
 *
 * A session the listener stops pinging is let go after its timeout (the TCP client went quiet or
 * the listener died); it then lives at the leader until it expires there, so a client that
 * reconnects in time, here or to another tab, finds its ephemerals and watches.
 */

export interface ZooKeeperSessionsOptions {
  readonly clock: Clock;
  readonly server: ServerHandle;
  readonly maxSessions: number;
  /** Longest an attach waits for the tab to catch up with what the client has seen. */
  readonly attachWaitMs: number;
  /** Session comings and goings, for the tab's log (what ZooKeeper clients do here). */
  readonly log?: (line: string) => void;
}

interface ZkSession {
  readonly client: TabKeeperClient;
  /** The listener connection's attach that holds the session here now. */
  link: string;
  readonly timeoutMs: number;
  lastHeardMs: number;
  readonly events: ZkEvent[];
  wake: (() => void) | null;
}

export class ZooKeeperSessions {
  private readonly sessions = new Map<string, ZkSession>();

  constructor(private readonly options: ZooKeeperSessionsOptions) {}

  get size(): number {
    return this.sessions.size;
  }

  async run(sessionId: string, input: unknown): Promise<ZkTabResult> {
    const parsed = v.safeParse(ZkTabOpSchema, input);
    if (!parsed.success) return this.answer(this.sessions.get(sessionId), { ok: false, error: 'BadArguments' });
    const op = parsed.output;
    if (op.zk === 'attach') return this.attach(sessionId, op);
    const session = this.sessions.get(sessionId);
    // Not attached here (this tab reloaded, or the listener skipped attach): the listener attaches again.
    if (session === undefined) return this.answer(undefined, { ok: false, error: 'SessionMoved' });
    if (op.zk !== 'poll') session.lastHeardMs = this.options.clock.now();
    switch (op.zk) {
      case 'request':
        return this.answer(session, await call(session.client, callOf(op.request, sessionId, (event) => this.queue(session, event))));
      case 'setWatches':
        return this.answer(session, await this.setWatches(session, op));
      case 'poll':
        return this.poll(session, op.waitMs);
      case 'ping':
        return this.answer(session, session.client.state === 'EXPIRED' ? { ok: false, error: 'SessionExpired' } : { ok: true, value: null });
      case 'close': {
        const result = await call(session.client, { kind: 'close' });
        this.drop(sessionId);
        this.options.log?.(`ZooKeeper session ${sessionId}: closed`);
        return this.answer(session, result);
      }
      case 'detach':
        if (session.link === op.link) this.drop(sessionId);
        return this.answer(session, { ok: true, value: null });
    }
  }

  /** Lets go of sessions whose listener has been silent past their timeout (call now and then). */
  sweep(): void {
    const now = this.options.clock.now();
    for (const [sessionId, session] of this.sessions) if (now - session.lastHeardMs > session.timeoutMs) this.drop(sessionId);
  }

  abandonAll(): void {
    for (const sessionId of [...this.sessions.keys()]) this.drop(sessionId);
  }

  private async attach(sessionId: string, op: Extract<ZkTabOp, { zk: 'attach' }>): Promise<ZkTabResult> {
    const { server, clock } = this.options;
    let session = this.sessions.get(sessionId);
    // Only a connected session is taken over as it is; one still connecting waits for another client's zxid.
    if (session === undefined || session.client.state !== 'CONNECTED') {
      if (session !== undefined) this.drop(sessionId);
      // A resumed session is looked up after a sync, so a lagging tab does not call a live session expired.
      if (op.resume && !(await syncServer(server, this.options.attachWaitMs))) return this.answer(undefined, { ok: false, error: 'ConnectionLoss' });
      while (this.sessions.size >= this.options.maxSessions) this.drop(this.sessions.keys().next().value!);
      const client = new TabKeeperClient({
        sessionId,
        sessionTimeoutMs: op.timeoutMs,
        clock,
        pickServer: () => server,
        ...(op.resume ? { resume: { lastSeenZxid: op.lastZxid } } : {}),
      });
      session = { client, link: op.link, timeoutMs: op.timeoutMs, lastHeardMs: clock.now(), events: [], wake: null };
      this.sessions.set(sessionId, session);
      client.onStateChange(() => session?.wake?.());
    }
    session.lastHeardMs = clock.now();
    session.link = op.link;
    const state = await untilSettled(session.client, clock, this.options.attachWaitMs);
    if (state === 'EXPIRED') {
      this.drop(sessionId);
      this.options.log?.(`ZooKeeper session ${sessionId}: expired`);
      return this.answer(undefined, { ok: false, error: 'SessionExpired' });
    }
    if (state !== 'CONNECTED' || compareZxid(server.committedZxid, op.lastZxid) < 0) {
      // Not served here now (the tab is behind the client, or not serving): the client tries again, perhaps elsewhere.
      this.drop(sessionId);
      return this.answer(undefined, { ok: false, error: 'ConnectionLoss' });
    }
    this.options.log?.(`ZooKeeper session ${sessionId}: ${op.resume ? 'resumed' : 'started'} here (timeout ${op.timeoutMs} ms)`);
    return this.answer(session, { ok: true, value: null });
  }

  /**
   * ZooKeeper's DataTree.setWatches: a watch whose node changed after `relativeZxid` fires now;
   * the others are set again. Each is set by a read with a watch, and a watch that fires now is
   * disarmed, so it cannot fire twice.
   */
  private async setWatches(session: ZkSession, op: Extract<ZkTabOp, { zk: 'setWatches' }>): Promise<ApplyResult> {
    const after = (zxid: Zxid) => compareZxid(zxid, op.relativeZxid) > 0;
    const arm = (kind: 'getData' | 'exists' | 'getChildren', path: string, decide: (result: ApplyResult) => ZkEvent['type'] | null) => {
      let armed = true;
      const watcher = (event: WatchedEvent) => {
        if (armed) this.queue(session, event);
      };
      return call(session.client, { kind: 'read', request: { type: kind, path }, watch: watcher, synced: false }).then((result) => {
        const fire = decide(result);
        if (fire === null) return;
        armed = false;
        this.queue(session, { type: fire, path });
      });
    };
    await Promise.all([
      ...op.data.map((path) =>
        arm('getData', path, (result) => (!result.ok ? 'NodeDeleted' : after(statIn(result.value).mzxid) ? 'NodeDataChanged' : null)),
      ),
      ...op.exist.map((path) => arm('exists', path, (result) => (result.ok && result.value !== null ? 'NodeCreated' : null))),
      ...op.child.map((path) =>
        arm('getChildren', path, (result) => (!result.ok ? 'NodeDeleted' : after(statIn(result.value).pzxid) ? 'NodeChildrenChanged' : null)),
      ),
    ]);
    return { ok: true, value: null };
  }

  private async poll(session: ZkSession, waitMs: number): Promise<ZkTabResult> {
    if (session.events.length === 0 && session.client.state !== 'EXPIRED') {
      await new Promise<void>((resolve) => {
        const timer = this.options.clock.setTimer(waitMs, () => finish());
        const finish = () => {
          this.options.clock.clearTimer(timer);
          if (session.wake === finish) session.wake = null;
          resolve();
        };
        session.wake?.();
        session.wake = finish;
      });
    }
    return this.answer(session, session.client.state === 'EXPIRED' ? { ok: false, error: 'SessionExpired' } : { ok: true, value: null });
  }

  private queue(session: ZkSession, event: WatchedEvent): void {
    session.events.push({ type: event.type, path: event.path });
    session.wake?.();
  }

  private answer(session: ZkSession | undefined, result: ApplyResult): ZkTabResult {
    const zxid = this.options.server.committedZxid;
    const events = session === undefined ? [] : session.events.splice(0);
    const at = { epoch: zxid.epoch, counter: zxid.counter };
    if (result.ok) return { ok: true, value: result.value, zxid: at, events };
    return { ok: false, error: result.error, ...(result.details === undefined ? {} : { details: result.details }), zxid: at, events };
  }

  private drop(sessionId: string): void {
    const session = this.sessions.get(sessionId);
    this.sessions.delete(sessionId);
    if (session === undefined) return;
    session.client.abandon();
    session.wake?.();
  }
}

function callOf(request: ZkRequest, sessionId: string, watcher: (event: WatchedEvent) => void): ClientCall {
  switch (request.type) {
    case 'create':
      return { kind: 'write', request: { ...request, sessionId }, path: request.path };
    case 'delete':
    case 'setData':
      return { kind: 'write', request, path: request.path };
    case 'multi':
      return { kind: 'write', request: { type: 'multi', ops: request.ops as unknown as Json, sessionId }, path: null };
    case 'getData':
    case 'exists':
    case 'getChildren':
      return { kind: 'read', request: { type: request.type, path: request.path }, ...(request.watch ? { watch: watcher } : {}), synced: false };
    case 'sync':
      return { kind: 'sync' };
  }
}

function call(client: TabKeeperClient, clientCall: ClientCall): Promise<ApplyResult> {
  return new Promise((resolve) => client.call(clientCall, resolve));
}

function statIn(value: unknown): Stat {
  return (value as { stat: Stat }).stat;
}

function syncServer(server: ServerHandle, timeoutMs: number): Promise<boolean> {
  const synced = new Promise<boolean>((resolve) => server.request('sync', null, (result) => resolve(result.ok)));
  return withTimeout(synced, timeoutMs, () => false);
}

/** Waits until the client is CONNECTED, EXPIRED or CLOSED, or `timeoutMs` passes; returns its state then. */
function untilSettled(client: TabKeeperClient, clock: Clock, timeoutMs: number): Promise<TabKeeperClient['state']> {
  if (client.state !== 'CONNECTING') return Promise.resolve(client.state);
  return new Promise((resolve) => {
    let timer: TimerId | null = null;
    const unsubscribe = client.onStateChange((state) => {
      if (state !== 'CONNECTING') finish();
    });
    const finish = () => {
      unsubscribe();
      if (timer !== null) clock.clearTimer(timer);
      resolve(client.state);
    };
    timer = clock.setTimer(timeoutMs, finish);
  });
}
