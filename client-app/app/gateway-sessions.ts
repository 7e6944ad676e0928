import * as v from 'valibot';
import type { GatewayOp, GatewayResult, ZooKeeperErrorName } from '../../protocol/gateway-ops.ts';
import { GatewayOpSchema, ZOOKEEPER_ERRORS } from '../../protocol/gateway-ops.ts';
import type { Clock } from '../../core/clock.ts';
import { ZooKeeperError } from '../../core/client/errors.ts';
import type { ServerHandle } from '../../core/client/server-handle.ts';
import { TabKeeperClient, type WriteOptions } from '../../core/client/tabkeeper-client.ts';
import { ZERO_ZXID } from '../../core/zxid.ts';
import type { Json } from '../../core/types.ts';

/**
 * Runs the gateway operations (protocol/gateway-ops.ts) through TabKeeperClient sessions of this tab:
 * the tab's own session for `window.tabkeeper.run` and the op form, and one session per
 * command-line client id for the CLI's requests relayed by the signaling server.
 *
 * Reads (get, ls, stat, exists) run behind a sync (`{ sync: true }`): a read through a tab then
 * reflects every write committed before it began, whichever tab made it, so the histories the
 * page exports are linearizable, as the checker's ZooKeeper records assume. ZooKeeper's plain
 * reads may be stale; the page chooses the linearizable kind because its users compare tabs.
 */

const KNOWN_ERRORS: ReadonlySet<string> = new Set(ZOOKEEPER_ERRORS);

/** One operation in one client's session. Never throws: failures are ZooKeeper error names. */
export async function runGatewayOp(client: TabKeeperClient, op: GatewayOp): Promise<GatewayResult> {
  try {
    return { ok: true, value: await valueOf(client, op) };
  } catch (error) {
    return { ok: false, error: errorNameOf(error) };
  }
}

async function valueOf(client: TabKeeperClient, op: GatewayOp): Promise<Json> {
  switch (op.op) {
    case 'create':
      return client.create(op.path, op.data, { ephemeral: op.ephemeral, sequential: op.sequential, ...numbered(op) });
    case 'get':
      return (await client.getData(op.path, { sync: true })) as unknown as Json;
    case 'set':
      return (await client.setData(op.path, op.data, op.version, numbered(op))) as unknown as Json;
    case 'delete':
      await client.delete(op.path, op.version, numbered(op));
      return null;
    case 'ls':
      return [...(await client.getChildren(op.path, { sync: true }))].sort();
    case 'stat': {
      const stat = await client.exists(op.path, { sync: true });
      if (stat === null) throw new ZooKeeperError('NoNode', op.path);
      return stat as unknown as Json;
    }
    case 'sync':
      await client.sync(op.path);
      return op.path;
    case 'exists':
      return (await client.exists(op.path, { sync: true })) as unknown as Json;
  }
}

/** The CLI's number of a write, which the tab's client sends as an exactly-once write of the session. */
function numbered(op: { readonly requestNumber?: number | undefined }): WriteOptions {
  return op.requestNumber === undefined ? {} : { requestNumber: op.requestNumber };
}

function errorNameOf(error: unknown): ZooKeeperErrorName {
  if (error instanceof ZooKeeperError && KNOWN_ERRORS.has(error.code)) return error.code as ZooKeeperErrorName;
  return 'SystemError';
}

/** Validates an op from the network (the CLI): a malformed one is BadArguments. */
export function parseGatewayOp(input: unknown): GatewayOp | null {
  const parsed = v.safeParse(GatewayOpSchema, input);
  return parsed.success ? parsed.output : null;
}

export interface GatewaySessionsOptions {
  readonly clock: Clock;
  /** The tab's own server: every session of this tab is attached to it. */
  readonly server: ServerHandle;
  readonly sessionTimeoutMs: number;
  /** A CLI that sent nothing for this long is let go: its session then expires at the leader. */
  readonly idleMs: number;
  /** Most CLI sessions kept at once; the least recently used goes first. */
  readonly maxSessions: number;
}

interface Session {
  readonly client: TabKeeperClient;
  lastUsedMs: number;
}

/**
 * One TabKeeperClient session per CLI client id. The session id is the client id, so a CLI that
 * moves to another tab keeps its session there (createSession of a live session is a no-op in
 * the data tree), as a ZooKeeper client keeps its session across servers.
 *
 * Exactly-once: a CLI's write carries its request number, and this tab's client sends it as a
 * numbered write of the CLI's session, holding it (not answering ConnectionLoss) while this tab
 * is between leaders. A CLI whose tab died sends the write again here with the same number: the
 * cluster answers the original result if it was applied. A session first seen here with a
 * write numbered above 1 already exists (the CLI's first write created it elsewhere), so it is
 * resumed rather than created: if it expired meanwhile, the write fails SessionExpired instead
 * of being applied again in a new session that remembers nothing.
 */
export class GatewaySessions {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly options: GatewaySessionsOptions) {}

  get size(): number {
    return this.sessions.size;
  }

  async run(clientId: string, input: unknown): Promise<GatewayResult> {
    const op = parseGatewayOp(input);
    if (op === null) return { ok: false, error: 'BadArguments' };
    const session = this.sessionOf(clientId, (op as { requestNumber?: number }).requestNumber ?? 0);
    session.lastUsedMs = this.options.clock.now();
    const result = await runGatewayOp(session.client, op);
    session.lastUsedMs = this.options.clock.now();
    // An expired session stays expired: the next request of this client starts a new one.
    if (!result.ok && result.error === 'SessionExpired') this.drop(clientId);
    return result;
  }

  /** Lets go of sessions idle past `idleMs` (call now and then). */
  sweep(): void {
    const now = this.options.clock.now();
    for (const [clientId, session] of this.sessions) if (now - session.lastUsedMs > this.options.idleMs) this.drop(clientId);
  }

  /** Every session stops talking to the cluster (pagehide); they expire at the leader. */
  abandonAll(): void {
    for (const clientId of [...this.sessions.keys()]) this.drop(clientId);
  }

  private sessionOf(clientId: string, requestNumber: number): Session {
    const existing = this.sessions.get(clientId);
    if (existing !== undefined) {
      // Map order is insertion order: re-inserting keeps the least recently used first.
      this.sessions.delete(clientId);
      this.sessions.set(clientId, existing);
      return existing;
    }
    while (this.sessions.size >= this.options.maxSessions) this.drop(this.sessions.keys().next().value!);
    const server = this.options.server;
    const client = new TabKeeperClient({
      sessionId: clientId,
      sessionTimeoutMs: this.options.sessionTimeoutMs,
      clock: this.options.clock,
      pickServer: () => server,
      ...(requestNumber > 1 ? { resume: { lastSeenZxid: ZERO_ZXID } } : {}),
    });
    const session = { client, lastUsedMs: this.options.clock.now() };
    this.sessions.set(clientId, session);
    return session;
  }

  private drop(clientId: string): void {
    this.sessions.get(clientId)?.client.abandon();
    this.sessions.delete(clientId);
  }
}
