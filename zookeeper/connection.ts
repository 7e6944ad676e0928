import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import * as v from 'valibot';
import { ConnectionFailure, GatewayClient } from '../cli/gateway-client.ts';
import type { Json } from '../core/types.ts';
import type { Logger } from '../signaling/logger.ts';
import type { ClusterPaths } from './cluster-paths.ts';
import { FrameSplitter } from './frames.ts';
import { JuteError, JuteReader, JuteWriter } from './jute.ts';
import { codec, ERROR_CODES, errorCode, EVENT_TYPE, KEEPER_STATE, OP, XID } from './records.ts';
import { gatewaySecret, PASSWORD_BYTES, type SessionRecord, type SessionTable } from './session-table.ts';
import { ZkTabResultSchema, type ZkEvent, type ZkRequest, type ZkTabOp, type ZkTabResult } from '../protocol/zk-tab-ops.ts';
import { decodeRequest, longToZxid, sessionClientId, writeMultiErrors, writeMultiResponse, writeResponse, zxidToLong, type Decoded } from './wire.ts';

/** What every connection of one listener shares. */
export interface ListenerContext {
  readonly signalingUrl: string;
  readonly paths: ClusterPaths;
  /** The join key from `--zk-key`; a client may give another with `addauth digest user:key`. */
  readonly key: string | null;
  readonly sessions: SessionTable;
  readonly logger: Logger;
  readonly maxFrameBytes: number;
  readonly minSessionTimeoutMs: number;
  readonly maxSessionTimeoutMs: number;
  /** How long to wait for a tab when attaching a session. */
  readonly attachTimeoutMs: number;
  /** The connection each session uses now: a reconnect closes the one before (as ZooKeeper does). */
  readonly live: Map<bigint, ZkConnection>;
}

/** Requests a client may have outstanding before the listener stops reading its socket. */
const MAX_OUTSTANDING = 1_000;
const RESUME_READING_AT = 100;
/** Bytes queued for a slow reader before the listener stops reading its requests. */
const MAX_WRITE_BUFFER = 8 * 1024 * 1024;
const HANDSHAKE_TIMEOUT_MS = 10_000;
const POLL_WAIT_MS = 10_000;
/** The gateway's op limit, with room for the JSON around the request. */
const MAX_TAB_OP_JSON = 63 * 1024;

type Frames = Uint8Array[];
/** A request once sent to its tab (or answered locally): its frames, when they are known. */
type Sent = { readonly frames: Promise<Frames> };
const now = (frames: Frames): Sent => ({ frames: Promise.resolve(frames) });
/** Why a tab's answer ended the connection: the client reconnects (and resumes the session). */
type Lost = { readonly lost: string };
type Link = { readonly root: string; readonly gateway: GatewayClient; readonly id: string };

/**
 * One client's TCP connection: the handshake (ConnectRequest / ConnectResponse), then requests
 * decoded in order, each forwarded to the session's tab and answered in order, with watch events
 * written as they arrive. A lost tab closes the connection, as a dead ZooKeeper server's does:
 * the client reconnects with its session id and password and the session resumes on another tab.
 */
export class ZkConnection {
  private readonly frames: FrameSplitter;
  private handshakeDone = false;
  private closed = false;
  private record: SessionRecord | null = null;
  /** Whether the client sent ConnectRequest's readOnly flag (then the response carries one too). */
  private sentReadOnly = false;
  /** The lastZxidSeen the client connected with: the tab must have applied it before serving this connection. */
  private clientZxid = 0n;
  private link: Link | null = null;
  private linking: Promise<Link | number | Lost> | null = null;
  /** Requests are sent to the tab in order: each waits here for the one before to be sent. */
  private sendChain: Promise<void> = Promise.resolve();
  private readonly outbox: { frames: Promise<Frames> }[] = [];
  private draining = false;
  private idleTimer: NodeJS.Timeout | null = null;
  /** Close once the frames queued so far are written (an expired session, closeSession, failed auth). */
  private closeAfterFlush = false;
  private key: string | null;

  constructor(
    private readonly socket: Socket,
    private readonly context: ListenerContext,
    private readonly onClosed: (connection: ZkConnection) => void,
  ) {
    this.frames = new FrameSplitter(context.maxFrameBytes);
    this.key = context.key;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('close', () => this.shutdown('socket closed'));
    socket.on('error', (error) => this.shutdown(`socket error: ${error.message}`));
    socket.on('drain', () => this.maybeResume());
    this.resetIdle(HANDSHAKE_TIMEOUT_MS);
  }

  get sessionId(): bigint | null {
    return this.record?.id ?? null;
  }

  /** Closes the connection (the session lives on at the tabs until it expires). */
  close(why: string): void {
    if (this.closed) return;
    this.context.logger.debug('zookeeper connection closed', { why, session: this.record === null ? null : sessionClientId(this.record.id) });
    this.socket.end();
    this.socket.destroySoon();
    this.shutdown(why);
  }

  private shutdown(why: string): void {
    if (this.closed) return;
    this.closed = true;
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    if (!this.socket.destroyed) this.socket.destroy();
    if (this.record !== null && this.context.live.get(this.record.id) === this) this.context.live.delete(this.record.id);
    const link = this.link;
    this.link = null;
    if (link !== null) {
      // The session lives on (a reconnect resumes it); the tab stops touching it for us now. The
      // detach is sent at once and the socket closed behind it (Socket.IO keeps their order).
      void link.gateway.runRaw({ zk: 'detach', link: link.id });
      link.gateway.close();
    }
    this.context.logger.debug('zookeeper connection ended', { why });
    this.onClosed(this);
  }

  // ---------------------------------------------------------------- bytes in

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    let frames: Buffer[];
    try {
      frames = this.frames.push(chunk);
    } catch (error) {
      return this.refuse(error);
    }
    for (const frame of frames) {
      if (this.closed) return;
      try {
        if (!this.handshakeDone) this.handshake(frame);
        else this.request(frame);
      } catch (error) {
        return this.refuse(error);
      }
    }
    if (this.outbox.length > MAX_OUTSTANDING) this.socket.pause();
  }

  /** A malformed frame (or a bug decoding one) closes this connection and nothing else. */
  private refuse(error: unknown): void {
    if (error instanceof JuteError) {
      this.context.logger.warn('zookeeper client sent a malformed frame; closing', { reason: error.message, remote: this.socket.remoteAddress });
    } else {
      this.context.logger.error('zookeeper frame could not be handled; closing', { error: (error as Error).stack ?? String(error) });
    }
    this.close(error instanceof Error ? error.message : 'malformed');
  }

  private resetIdle(ms: number): void {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.close(`no request for ${ms} ms`), ms);
  }

  // ---------------------------------------------------------------- handshake

  private handshake(frame: Buffer): void {
    this.handshakeDone = true;
    const reader = new JuteReader(frame);
    const connect = codec.read(reader, 'ConnectRequest');
    if (reader.remaining > 0) {
      this.sentReadOnly = true;
      reader.boolean();
    }
    const { minSessionTimeoutMs, maxSessionTimeoutMs, sessions, paths } = this.context;
    const timeoutMs = Math.min(maxSessionTimeoutMs, Math.max(minSessionTimeoutMs, connect.timeOut as number));
    const sessionId = connect.sessionId as bigint;
    const lastZxidSeen = connect.lastZxidSeen as bigint;
    this.enqueue(async () => {
      if (sessionId === 0n) {
        this.record = sessions.create(timeoutMs, paths.fixedRoot);
        this.record.key = this.key;
        this.context.logger.info('zookeeper session created', { session: sessionClientId(this.record.id), timeoutMs });
      } else {
        if (!sessions.checkPassword(sessionId, connect.passwd as Uint8Array | null)) {
          this.context.logger.info('zookeeper reconnect refused: wrong session password', { session: sessionClientId(sessionId) });
          return now(this.expiredResponse());
        }
        const record = sessions.resume(sessionId, timeoutMs, connect.passwd as Uint8Array);
        if (record.expired) return now(this.expiredResponse());
        // This connection's claim only: a client cannot make the session unusable for the next one.
        this.clientZxid = lastZxidSeen;
        this.record = record;
      }
      const previous = this.context.live.get(this.record.id);
      if (previous !== undefined && previous !== this) previous.close('the session reconnected on another connection');
      this.context.live.set(this.record.id, this);
      this.resetIdle(this.record.timeoutMs);
      if (this.record.root !== null) {
        const linked = await this.ensureLink(this.record.root);
        if (linked === ERROR_CODES.SessionExpired) return now(this.expiredResponse());
        if (typeof linked === 'number') {
          this.close(`cannot attach the session: error ${linked}`);
          return now([]);
        }
        if ('lost' in linked) {
          this.close(linked.lost);
          return now([]);
        }
      }
      return now([this.connectResponse(this.record.timeoutMs, this.record.id, this.record.password)]);
    });
  }

  private connectResponse(timeoutMs: number, sessionId: bigint, password: Uint8Array): Uint8Array {
    const writer = new JuteWriter();
    codec.write(writer, 'ConnectResponse', { protocolVersion: 0, timeOut: timeoutMs, sessionId, passwd: password });
    if (this.sentReadOnly) writer.boolean(false);
    return writer.finish(true);
  }

  /** What ZooKeeper answers for an expired or unknown session: timeout 0, then it closes. */
  private expiredResponse(): Frames {
    this.closeAfterFlush = true;
    return [this.connectResponse(0, 0n, new Uint8Array(PASSWORD_BYTES))];
  }


  // ---------------------------------------------------------------- requests

  private request(frame: Buffer): void {
    const reader = new JuteReader(frame);
    const header = codec.read(reader, 'RequestHeader');
    const xid = header.xid as number;
    const opcode = header.type as number;
    const decoded = decodeRequest(opcode, reader);
    this.context.logger.debug('zookeeper request', { xid, opcode, kind: decoded.kind });
    if (this.record !== null) {
      this.resetIdle(this.record.timeoutMs);
      this.record.lastUsedMs = Date.now();
    }
    this.enqueue(() => this.run(xid, opcode, decoded));
  }

  private async run(xid: number, opcode: number, decoded: Decoded): Promise<Sent> {
    switch (decoded.kind) {
      case 'error':
        return now([this.reply(xid, decoded.code)]);
      case 'ping': {
        if (this.link === null) return now([this.reply(XID.ping, 0)]);
        return this.answered(this.send({ zk: 'ping' }), (answer) => [this.reply(XID.ping, 0, answer)]);
      }
      case 'auth': {
        if (decoded.scheme !== 'digest') {
          this.closeAfterFlush = true;
          return now([this.reply(XID.auth, ERROR_CODES.AuthFailed)]);
        }
        // `addauth digest user:key`: the password part is the cluster's join key.
        const text = Buffer.from(decoded.auth).toString('utf8');
        const colon = text.indexOf(':');
        this.key = colon === -1 ? text : text.slice(colon + 1);
        if (this.record !== null) this.record.key = this.key;
        return now([this.reply(XID.auth, 0)]);
      }
      case 'close': {
        const record = this.record;
        this.closeAfterFlush = true;
        if (record !== null) this.context.sessions.forget(record.id);
        if (this.link === null) return now([this.reply(xid, 0)]);
        const link = this.link;
        const sent = this.answered(this.send({ zk: 'close' }), (result) => [this.reply(xid, result.ok ? 0 : errorCode(result.error), result)]);
        void sent.frames.finally(() => {
          if (this.link === link) this.link = null;
          link.gateway.close();
          if (record !== null) this.context.logger.info('zookeeper session closed', { session: sessionClientId(record.id) });
        });
        return sent;
      }
      case 'getACL':
        return this.forward(xid, opcode, { type: 'exists', path: decoded.path, watch: false });
      case 'setWatches':
        return this.setWatches(xid, decoded);
      case 'multiRead':
        return this.multiRead(xid, decoded);
      case 'tab':
        return this.forward(xid, opcode, decoded.request, decoded.opcodes);
    }
  }

  private async forward(xid: number, opcode: number, request: ZkRequest, opcodes: readonly number[] = []): Promise<Sent> {
    const mapped = this.mapRequest(request);
    if (mapped === null) return now([this.reply(xid, ERROR_CODES.BadArguments)]);
    const linked = await this.ensureLink(mapped.root);
    if (typeof linked === 'number') return now([this.reply(xid, linked)]);
    if ('lost' in linked) {
      this.close(linked.lost);
      return now([]);
    }
    const op: ZkTabOp = { zk: 'request', request: mapped.request };
    if (JSON.stringify(op).length > MAX_TAB_OP_JSON) return now([this.reply(xid, ERROR_CODES.BadArguments)]);
    const clientPath = (path: string) => this.context.paths.fromTab(linked.root, path);
    return this.answered(this.send(op), (answer) => {
      if (!answer.ok) return [this.failureReply(xid, opcode, answer)];
      if ((opcode === OP.exists || opcode === OP.getACL) && answer.value === null) return [this.reply(xid, ERROR_CODES.NoNode, answer)];
      const body = new JuteWriter();
      if (opcode === OP.multi) writeMultiResponse(body, opcodes, (answer.value as { results: never[] }).results, clientPath);
      else if (opcode === OP.sync) writeResponse(body, opcode, (request as { path: string }).path, clientPath);
      else writeResponse(body, opcode, answer.value, clientPath);
      return [this.reply(xid, 0, answer, body)];
    });
  }

  private failureReply(xid: number, opcode: number, answer: Extract<ZkTabResult, { ok: false }>): Uint8Array {
    const details = answer.details as { results?: unknown } | undefined;
    if (opcode === OP.multi && Array.isArray(details?.results)) {
      const body = new JuteWriter();
      // The tree's MultiErrorResult: { type: 'error', error: 'Ok' | 'RuntimeInconsistency' | the failing op's error }.
      const codes = (details.results as { error?: unknown }[]).map((result) => (result.error === 'Ok' ? 0 : errorCode(String(result.error))));
      writeMultiErrors(body, codes);
      return this.reply(xid, 0, answer, body);
    }
    return this.reply(xid, errorCode(answer.error), answer);
  }

  private async setWatches(xid: number, decoded: Extract<Decoded, { kind: 'setWatches' }>): Promise<Sent> {
    const all = [...decoded.data, ...decoded.exist, ...decoded.child];
    if (all.length === 0) return now([this.reply(xid, 0)]);
    const mapped = all.map((path) => this.context.paths.toTab(path));
    const root = mapped[0]?.root;
    if (root === undefined || mapped.some((entry) => entry === null || entry.root !== root)) return now([this.reply(xid, ERROR_CODES.BadArguments)]);
    const linked = await this.ensureLink(root);
    if (typeof linked === 'number') return now([this.reply(xid, linked)]);
    if ('lost' in linked) {
      this.close(linked.lost);
      return now([]);
    }
    const tabPath = (path: string) => this.context.paths.toTab(path)!.path;
    const op: ZkTabOp = {
      zk: 'setWatches',
      relativeZxid: longToZxid(decoded.relativeZxid),
      data: decoded.data.map(tabPath),
      exist: decoded.exist.map(tabPath),
      child: decoded.child.map(tabPath),
    };
    return this.answered(this.send(op), (answer) => [this.reply(xid, answer.ok ? 0 : errorCode(answer.error), answer)]);
  }

  /** Each read of a multiRead is one request to the tab, sent back to back; the answer lists each result or error. */
  private async multiRead(xid: number, decoded: Extract<Decoded, { kind: 'multiRead' }>): Promise<Sent> {
    const mapped = decoded.ops.map((op) => this.context.paths.toTab(op.path));
    const root = mapped[0]?.root ?? this.link?.root ?? this.record?.root;
    if (root === undefined || root === null || mapped.some((entry) => entry === null || entry.root !== root)) return now([this.reply(xid, ERROR_CODES.BadArguments)]);
    const linked = await this.ensureLink(root);
    if (typeof linked === 'number') return now([this.reply(xid, linked)]);
    if ('lost' in linked) {
      this.close(linked.lost);
      return now([]);
    }
    const pending = decoded.ops.map((op, index) =>
      this.send({ zk: 'request', request: { type: op.opcode === OP.getData ? 'getData' : 'getChildren', path: mapped[index]!.path, watch: op.watch } }),
    );
    return {
      frames: Promise.all(pending).then((answers) => {
        const lost = answers.find((answer): answer is Lost => 'lost' in answer);
        if (lost !== undefined) return this.framesOf(lost, () => []);
        const results = answers as ZkTabResult[];
        for (const answer of results) this.noteZxid(answer);
        const body = new JuteWriter();
        results.forEach((answer, index) => {
          const opcode = decoded.ops[index]!.opcode;
          if (!answer.ok) {
            const code = errorCode(answer.error);
            codec.write(body, 'MultiHeader', { type: OP.error, done: false, err: code });
            codec.write(body, 'ErrorResponse', { err: code });
            return;
          }
          codec.write(body, 'MultiHeader', { type: opcode, done: false, err: 0 });
          writeResponse(body, opcode, answer.value, (path) => this.context.paths.fromTab(root, path));
        });
        codec.write(body, 'MultiHeader', { type: -1, done: true, err: -1 });
        const events = results.flatMap((answer) => answer.events);
        return [...this.eventFrames(events), this.reply(xid, 0, results.at(-1), body)];
      }),
    };
  }

  /** The request with tab paths, and its root (cluster); null if its paths name no cluster or several. */
  private mapRequest(request: ZkRequest): { root: string; request: ZkRequest } | null {
    const paths = this.context.paths;
    if (request.type === 'multi') {
      let root: string | null = this.link?.root ?? this.record?.root ?? null;
      const ops = [];
      for (const op of request.ops) {
        const mapped = paths.toTab(op.path);
        if (mapped === null || (root !== null && mapped.root !== root)) return null;
        root = mapped.root;
        ops.push({ ...op, path: mapped.path });
      }
      if (root === null) return null;
      return { root, request: { type: 'multi', ops } };
    }
    const mapped = paths.toTab(request.path);
    if (mapped === null) return null;
    return { root: mapped.root, request: { ...request, path: mapped.path } };
  }

  // ---------------------------------------------------------------- the session's tab

  /**
   * Attaches the session to a tab of the cluster `root` names (created there the first time, resumed after a
   * reconnect): the link, a ZooKeeper error code for the request that needed it, or a loss.
   */
  private ensureLink(root: string): Promise<Link | number | Lost> {
    if (this.link !== null) return Promise.resolve(this.link.root === root ? this.link : ERROR_CODES.BadArguments);
    const record = this.record;
    if (record === null) return Promise.resolve({ lost: 'no session' });
    if (record.root !== null && record.root !== root) return Promise.resolve(ERROR_CODES.BadArguments);
    this.linking ??= this.attach(record, root).finally(() => {
      this.linking = null;
    });
    return this.linking;
  }

  private async attach(record: SessionRecord, root: string): Promise<Link | number | Lost> {
    const target = this.context.paths.target(root);
    if (target === null) return ERROR_CODES.BadArguments;
    const { cluster, seat } = target;
    const gateway = new GatewayClient({
      url: this.context.signalingUrl,
      cluster,
      ...(seat === null ? {} : { seat }),
      clientId: sessionClientId(record.id),
      secret: gatewaySecret(record.password),
      // A cluster that answers no-such-cluster may be one whose key this client lacks (the
      // signaling server does not say which): NoAuth at once rather than after the attach timeout.
      waitForCluster: false,
      ...(this.key === null ? {} : { key: this.key }),
      connectTimeoutMs: this.context.attachTimeoutMs,
      requestTimeoutMs: POLL_WAIT_MS + this.context.attachTimeoutMs + 5_000,
    });
    const linkId = randomBytes(8).toString('hex');
    let result;
    try {
      result = await gateway.runRaw({ zk: 'attach', link: linkId, timeoutMs: record.timeoutMs, resume: record.attached, lastZxid: longToZxid(record.lastZxid > this.clientZxid ? record.lastZxid : this.clientZxid) });
    } catch (error) {
      gateway.close();
      // A wrong key (or none for a keyed cluster) names a room no tab has joined: the signaling
      // server answers no-such-cluster, as for a name nobody uses (signaling/rooms.ts).
      if (error instanceof ConnectionFailure && (error.code === 'wrong-key' || error.code === 'no-such-cluster')) return ERROR_CODES.NoAuth;
      return { lost: `cannot reach cluster ${cluster}: ${(error as Error).message}` };
    }
    const answer = this.parseAnswer(result);
    if ('lost' in answer || !answer.ok) gateway.close();
    if ('lost' in answer) return answer;
    if (!answer.ok) {
      if (answer.error === 'SessionExpired') {
        record.expired = true;
        this.context.logger.info('zookeeper session expired', { session: sessionClientId(record.id) });
        return ERROR_CODES.SessionExpired;
      }
      return { lost: `the tab could not attach the session: ${answer.error}` };
    }
    if (this.closed) {
      void gateway.runRaw({ zk: 'detach', link: linkId });
      gateway.close();
      return { lost: 'closed' };
    }
    record.attached = true;
    record.root = root;
    this.noteZxid(answer);
    const link = { root, gateway, id: linkId };
    this.link = link;
    this.context.logger.info('zookeeper session attached', { session: sessionClientId(record.id), cluster, seat: gateway.seat });
    void this.pollEvents(link);
    return link;
  }

  /** Watch events of an idle client: a poll the tab holds until one fires. */
  private async pollEvents(link: Link): Promise<void> {
    while (!this.closed && this.link === link) {
      const answer = this.parseAnswer(await link.gateway.runRaw({ zk: 'poll', waitMs: POLL_WAIT_MS }).catch(() => ({ ok: false as const, error: 'ConnectionLoss' as const })));
      if (this.closed || this.link !== link) return;
      if ('lost' in answer) return this.close(answer.lost);
      this.write(this.eventFrames(answer.events));
      if (!answer.ok && answer.error === 'SessionExpired') return this.expire();
    }
  }

  private expire(): void {
    if (this.record !== null) {
      this.record.expired = true;
      this.context.logger.info('zookeeper session expired', { session: sessionClientId(this.record.id) });
    }
    this.close('session expired');
  }

  /** Sends `op` to the session's tab now (synchronously, so requests reach it in order); resolves with its answer. */
  private send(op: ZkTabOp): Promise<ZkTabResult | Lost> {
    const link = this.link;
    if (link === null) return Promise.resolve({ lost: 'not attached' });
    return link.gateway.runRaw(op as unknown as Json).then(
      (result) => this.parseAnswer(result),
      (error: Error) => ({ lost: error.message }),
    );
  }

  private parseAnswer(result: { ok: true; value: Json } | { ok: false; error: string }): ZkTabResult | Lost {
    if (!result.ok) return { lost: `tab connection: ${result.error}` };
    const parsed = v.safeParse(ZkTabResultSchema, result.value);
    if (!parsed.success) return { lost: 'the tab could not serve the request' };
    if (!parsed.output.ok && (parsed.output.error === 'ConnectionLoss' || parsed.output.error === 'SessionMoved')) return { lost: `tab answered ${parsed.output.error}` };
    return parsed.output;
  }

  /** Frames for a tab's answer (its events first), or a closed connection if the tab was lost or the session expired. */
  private answered(pending: Promise<ZkTabResult | Lost>, frames: (answer: ZkTabResult) => Frames): Sent {
    return { frames: pending.then((answer) => this.framesOf(answer, frames)) };
  }

  private framesOf(answer: ZkTabResult | Lost, frames: (answer: ZkTabResult) => Frames): Frames {
    if ('lost' in answer) {
      this.close(answer.lost);
      return [];
    }
    this.noteZxid(answer);
    const out = [...this.eventFrames(answer.events), ...frames(answer)];
    if (!answer.ok && answer.error === 'SessionExpired' && this.record !== null) {
      this.record.expired = true;
      this.closeAfterFlush = true;
    }
    return out;
  }

  private noteZxid(answer: ZkTabResult): void {
    const zxid = zxidToLong(answer.zxid);
    if (this.record !== null && zxid > this.record.lastZxid) this.record.lastZxid = zxid;
  }

  private eventFrames(events: readonly ZkEvent[]): Frames {
    const root = this.link?.root;
    if (root === undefined) return [];
    return events.map((event) => {
      const writer = new JuteWriter();
      codec.write(writer, 'ReplyHeader', { xid: XID.notification, zxid: -1n, err: 0 });
      codec.write(writer, 'WatcherEvent', { type: EVENT_TYPE[event.type], state: KEEPER_STATE.SyncConnected, path: this.context.paths.fromTab(root, event.path) });
      return writer.finish(true);
    });
  }

  private reply(xid: number, err: number, answer?: ZkTabResult, body?: JuteWriter): Uint8Array {
    const writer = new JuteWriter();
    const zxid = answer === undefined ? (this.record?.lastZxid ?? 0n) : zxidToLong(answer.zxid);
    codec.write(writer, 'ReplyHeader', { xid, zxid, err });
    const head = writer.finish();
    const rest = body?.finish() ?? new Uint8Array();
    const frame = new JuteWriter();
    frame.int(head.byteLength + rest.byteLength);
    return Buffer.concat([frame.finish(), head, rest]);
  }

  // ---------------------------------------------------------------- bytes out, in order

  /**
   * Queues one request. Its work (up to sending it to the tab) starts once the previous
   * request's was sent, so the tab sees requests in order; its frames are written after the
   * previous request's, so the client sees answers in order.
   */
  private enqueue(work: () => Promise<Sent>): void {
    const sent = this.sendChain.then(work).catch((error: unknown): Sent => {
      this.context.logger.error('zookeeper request failed', { error: (error as Error).message });
      this.close('internal error');
      return now([]);
    });
    this.sendChain = sent.then(() => undefined);
    const frames = sent
      .then((request) => request.frames)
      .catch((error: unknown): Frames => {
        this.context.logger.error('zookeeper answer failed', { error: (error as Error).stack ?? String(error) });
        this.close('internal error');
        return [];
      });
    this.outbox.push({ frames });
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    while (this.outbox.length > 0) {
      const frames = await this.outbox[0]!.frames;
      this.outbox.shift();
      this.write(frames);
      if (this.closeAfterFlush) {
        this.close('answered and closing');
        break;
      }
      this.maybeResume();
    }
    this.draining = false;
  }

  private write(frames: Frames): void {
    if (this.closed) return;
    if (frames.length > 0) this.context.logger.debug('zookeeper frames written', { count: frames.length, bytes: frames.reduce((sum, frame) => sum + frame.byteLength, 0) });
    for (const frame of frames) this.socket.write(frame);
    if (this.socket.writableLength > MAX_WRITE_BUFFER) this.socket.pause();
  }

  private maybeResume(): void {
    if (this.closed || !this.socket.isPaused()) return;
    if (this.outbox.length <= RESUME_READING_AT && this.socket.writableLength <= MAX_WRITE_BUFFER) this.socket.resume();
  }
}
