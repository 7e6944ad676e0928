import { createRequire } from 'node:module';
import * as v from 'valibot';
import { JuteCodec, type RecordSpec } from './jute.ts';

/**
 * ZooKeeper's client protocol records. The field lists come from node-zookeeper-client's jute
 * specification (`lib/jute/specification.json`, ZooKeeper's zookeeper.jute as JSON); the few
 * records it leaves out, because that client never sends or reads them, are added below in the
 * same form, copied from zookeeper.jute of ZooKeeper 3.8.
 */

const FieldSchema = v.strictObject({ name: v.string(), type: v.string() });
const SpecificationSchema = v.object({
  data: v.record(v.string(), v.array(FieldSchema)),
  protocol: v.record(v.string(), v.array(FieldSchema)),
});

const EXTRA_RECORDS: Readonly<Record<string, RecordSpec>> = {
  GetChildrenRequest: [
    { name: 'path', type: 'ustring' },
    { name: 'watch', type: 'boolean' },
  ],
  GetChildrenResponse: [{ name: 'children', type: 'vector<ustring>' }],
  SyncRequest: [{ name: 'path', type: 'ustring' }],
  SyncResponse: [{ name: 'path', type: 'ustring' }],
  Create2Response: [
    { name: 'path', type: 'ustring' },
    { name: 'stat', type: 'data.Stat' },
  ],
};

function loadSpecs(): Map<string, RecordSpec> {
  const require = createRequire(import.meta.url);
  const parsed = v.parse(SpecificationSchema, require('node-zookeeper-client/lib/jute/specification.json'));
  const specs = new Map<string, RecordSpec>();
  for (const namespace of [parsed.data, parsed.protocol]) for (const [name, fields] of Object.entries(namespace)) specs.set(name, fields);
  for (const [name, fields] of Object.entries(EXTRA_RECORDS)) if (!specs.has(name)) specs.set(name, fields);
  return specs;
}

export const codec = new JuteCodec(loadSpecs());

/** ZooKeeper's OpCode values (ZooDefs.OpCode). */
export const OP = {
  notification: 0,
  create: 1,
  delete: 2,
  exists: 3,
  getData: 4,
  setData: 5,
  getACL: 6,
  setACL: 7,
  getChildren: 8,
  sync: 9,
  ping: 11,
  getChildren2: 12,
  check: 13,
  multi: 14,
  create2: 15,
  reconfig: 16,
  checkWatches: 17,
  removeWatches: 18,
  createContainer: 19,
  deleteContainer: 20,
  createTTL: 21,
  multiRead: 22,
  auth: 100,
  setWatches: 101,
  sasl: 102,
  getEphemerals: 103,
  getAllChildrenNumber: 104,
  setWatches2: 105,
  addWatch: 106,
  whoAmI: 107,
  createSession: -10,
  closeSession: -11,
  error: -1,
} as const;

/** Special xids (ClientCnxn). */
export const XID = { notification: -1, ping: -2, auth: -4, setWatches: -8 } as const;

/** KeeperException.Code values, by the names TabKeeper uses for them. */
export const ERROR_CODES = {
  Ok: 0,
  SystemError: -1,
  RuntimeInconsistency: -2,
  ConnectionLoss: -4,
  MarshallingError: -5,
  Unimplemented: -6,
  OperationTimeout: -7,
  BadArguments: -8,
  NoNode: -101,
  NoAuth: -102,
  BadVersion: -103,
  NoChildrenForEphemerals: -108,
  NodeExists: -110,
  NotEmpty: -111,
  SessionExpired: -112,
  InvalidACL: -114,
  AuthFailed: -115,
} as const;
export type ErrorName = keyof typeof ERROR_CODES;

export function errorCode(name: string): number {
  return name in ERROR_CODES ? ERROR_CODES[name as ErrorName] : ERROR_CODES.SystemError;
}

/** Watcher.Event.EventType and KeeperState values. */
export const EVENT_TYPE = { None: -1, NodeCreated: 1, NodeDeleted: 2, NodeDataChanged: 3, NodeChildrenChanged: 4 } as const;
export const KEEPER_STATE = { SyncConnected: 3, Expired: -112 } as const;

/** CreateMode flags: bit 0 ephemeral, bit 1 sequential; 4..6 are container and TTL modes. */
export const CREATE_MODE = { persistent: 0, ephemeral: 1, persistentSequential: 2, ephemeralSequential: 3, container: 4, ttl: 5, ttlSequential: 6 } as const;

/** ZooDefs.Perms.ALL and the one ACL TabKeeper implements: world:anyone with every permission. */
export const PERMS_ALL = 31;
export const OPEN_ACL = [{ perms: PERMS_ALL, id: { scheme: 'world', id: 'anyone' } }] as const;
