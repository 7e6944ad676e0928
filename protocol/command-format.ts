import * as v from 'valibot';
import type { Json } from '../core/types.ts';
import { RESULT_VALUE_SCHEMAS, StatSchema, type GatewayOp, type GatewayResult, type Stat } from './gateway-ops.ts';

/**
 * What the CLI prints for one operation: a readable line, or (with --json) one JSON object.
 *
 *   create /a -> /a                     get /a -> "hello" (version 0)
 *   set /a -> version 1                 delete /a -> ok
 *   ls /a -> ["b","c"]                  exists /a -> yes (version 1)   exists /b -> no
 *   stat /a -> version 1, cversion 0, children 0, dataLength 5, czxid 1:1, mzxid 1:2, ephemeralOwner none
 *   sync /a -> ok                       error NoNode /missing
 */

export function formatReadable(op: GatewayOp, result: GatewayResult): string {
  if (!result.ok) return `error ${result.error} ${op.path}`;
  const shown = describeValue(op, result.value);
  return `${op.op} ${op.path} -> ${shown}`;
}

export function formatJson(line: number, op: GatewayOp, result: GatewayResult): string {
  const outcome = result.ok ? { ok: true, result: result.value } : { ok: false, error: result.error };
  return JSON.stringify({ line, op: op.op, path: op.path, ...outcome });
}

function describeValue(op: GatewayOp, value: Json): string {
  const schema = RESULT_VALUE_SCHEMAS[op.op];
  if (!v.is(schema, value)) return `unexpected answer ${JSON.stringify(value)}`;
  switch (op.op) {
    case 'create':
      return String(value);
    case 'get': {
      const { data, stat } = value as { data: string; stat: Stat };
      return `${JSON.stringify(data)} (version ${stat.version})`;
    }
    case 'set':
      return `version ${(value as Stat).version}`;
    case 'delete':
    case 'sync':
      return 'ok';
    case 'ls':
      return JSON.stringify(value);
    case 'stat':
      return describeStat(value as Stat);
    case 'exists':
      return v.is(StatSchema, value) ? `yes (version ${value.version})` : 'no';
  }
}

export function describeStat(stat: Stat): string {
  return [
    `version ${stat.version}`,
    `cversion ${stat.cversion}`,
    `children ${stat.numChildren}`,
    `dataLength ${stat.dataLength}`,
    `czxid ${stat.czxid.epoch}:${stat.czxid.counter}`,
    `mzxid ${stat.mzxid.epoch}:${stat.mzxid.counter}`,
    `ephemeralOwner ${stat.ephemeralOwner ?? 'none'}`,
  ].join(', ');
}
