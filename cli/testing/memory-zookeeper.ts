import * as v from 'valibot';
import type { Json } from '../../core/types.ts';
import { ANY_VERSION, GatewayOpSchema, type GatewayOp, type GatewayResult, type Stat, type ZooKeeperErrorName } from '../../protocol/gateway-ops.ts';

/**
 * TEST DOUBLE. A ZooKeeper-like data tree in memory, for testing the CLI and the gateway without
 * browsers: one process, no replication, no sessions that expire (ephemeral znodes are owned by
 * the client id and live until deleted). It is *not* the replicated data tree (core/tree/), and
 * nothing outside tests may use it.
 *
 * It follows ZooKeeper's semantics for the eight gateway ops: NoNode, NodeExists, BadVersion,
 * NotEmpty, NoChildrenForEphemerals, BadArguments; version -1 matches any; a sequential create
 * appends a 10-digit counter kept in the parent, which counts children ever created (so after
 * create a, create b, delete a, delete b the next suffix is 0000000002 while cversion is 4).
 * A write that carries a requestNumber is applied once per (client, number): sent again, it
 * answers the remembered result, as the replicated tree's exactly-once writes do.
 */
interface Znode {
  data: string;
  version: number;
  cversion: number;
  czxid: number;
  mzxid: number;
  /** The zxid of the last change to this node's children. */
  pzxid: number;
  ctime: number;
  mtime: number;
  ephemeralOwner: string | null;
  /** Children ever created under this node: the next sequential suffix. */
  sequence: number;
  readonly children: Set<string>;
}

export class MemoryZooKeeper {
  private readonly nodes = new Map<string, Znode>();
  private lastZxid = 0;
  /** Results of numbered writes, by `${clientId} ${requestNumber}`. */
  private readonly remembered = new Map<string, GatewayResult>();

  constructor(private readonly now: () => number = Date.now) {
    this.nodes.set('/', newZnode('', 0, 0, null));
  }

  /** Runs one operation for a client. Never throws: an op that fails its schema is BadArguments. */
  apply(clientId: string, input: unknown): GatewayResult {
    const parsed = v.safeParse(GatewayOpSchema, input);
    if (!parsed.success) return failure('BadArguments');
    const op: GatewayOp = parsed.output;
    if ('requestNumber' in op && op.requestNumber !== undefined) {
      const key = `${clientId} ${op.requestNumber}`;
      const result = this.remembered.get(key) ?? this.applyOp(clientId, op);
      this.remembered.set(key, result);
      return result;
    }
    return this.applyOp(clientId, op);
  }

  private applyOp(clientId: string, op: GatewayOp): GatewayResult {
    switch (op.op) {
      case 'create':
        return this.create(clientId, op.path, op.data, op.ephemeral, op.sequential);
      case 'get':
        return this.withNode(op.path, (node) => ({ data: node.data, stat: this.statOf(node) }));
      case 'set':
        return this.set(op.path, op.data, op.version);
      case 'delete':
        return this.delete(op.path, op.version);
      case 'ls':
        return this.withNode(op.path, (node) => [...node.children].sort());
      case 'stat':
        return this.withNode(op.path, (node) => this.statOf(node));
      case 'sync':
        return { ok: true, value: op.path };
      case 'exists': {
        const node = this.nodes.get(op.path);
        return { ok: true, value: node === undefined ? null : this.statOf(node) };
      }
    }
  }

  private create(clientId: string, requested: string, data: string, ephemeral: boolean, sequential: boolean): GatewayResult {
    if (requested === '/') return failure('NodeExists');
    const parentPath = parentOf(requested);
    const parent = this.nodes.get(parentPath);
    if (parent === undefined) return failure('NoNode');
    if (parent.ephemeralOwner !== null) return failure('NoChildrenForEphemerals');
    const path = sequential ? `${requested}${String(parent.sequence).padStart(10, '0')}` : requested;
    if (this.nodes.has(path)) return failure('NodeExists');
    const zxid = ++this.lastZxid;
    this.nodes.set(path, newZnode(data, zxid, this.now(), ephemeral ? clientId : null));
    parent.children.add(path.slice(parentPath === '/' ? 1 : parentPath.length + 1));
    parent.sequence += 1;
    parent.cversion += 1;
    parent.pzxid = zxid;
    return { ok: true, value: path };
  }

  private set(path: string, data: string, version: number): GatewayResult {
    const node = this.nodes.get(path);
    if (node === undefined) return failure('NoNode');
    if (version !== ANY_VERSION && version !== node.version) return failure('BadVersion');
    node.data = data;
    node.version += 1;
    node.mzxid = ++this.lastZxid;
    node.mtime = this.now();
    return { ok: true, value: this.statOf(node) };
  }

  private delete(path: string, version: number): GatewayResult {
    if (path === '/') return failure('BadArguments');
    const node = this.nodes.get(path);
    if (node === undefined) return failure('NoNode');
    if (version !== ANY_VERSION && version !== node.version) return failure('BadVersion');
    if (node.children.size > 0) return failure('NotEmpty');
    const parentPath = parentOf(path);
    const parent = this.nodes.get(parentPath)!;
    this.nodes.delete(path);
    parent.children.delete(path.slice(parentPath === '/' ? 1 : parentPath.length + 1));
    parent.cversion += 1;
    parent.pzxid = ++this.lastZxid;
    return { ok: true, value: null };
  }

  private withNode(path: string, read: (node: Znode) => Json): GatewayResult {
    const node = this.nodes.get(path);
    return node === undefined ? failure('NoNode') : { ok: true, value: read(node) };
  }

  private statOf(node: Znode): Stat {
    return {
      czxid: { epoch: 1, counter: node.czxid },
      mzxid: { epoch: 1, counter: node.mzxid },
      pzxid: { epoch: 1, counter: node.pzxid },
      ctime: node.ctime,
      mtime: node.mtime,
      version: node.version,
      cversion: node.cversion,
      aversion: 0,
      ephemeralOwner: node.ephemeralOwner,
      dataLength: new TextEncoder().encode(node.data).length,
      numChildren: node.children.size,
    };
  }
}

function newZnode(data: string, zxid: number, timeMs: number, ephemeralOwner: string | null): Znode {
  return { data, version: 0, cversion: 0, czxid: zxid, mzxid: zxid, pzxid: zxid, ctime: timeMs, mtime: timeMs, ephemeralOwner, sequence: 0, children: new Set() };
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? '/' : path.slice(0, slash);
}

function failure(error: ZooKeeperErrorName): GatewayResult {
  return { ok: false, error };
}
