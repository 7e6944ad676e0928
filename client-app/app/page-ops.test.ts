import { describe, expect, test } from 'vitest';
import { MAX_DATA_LENGTH } from '../../protocol/gateway-ops.ts';
import { MAX_DATA_BYTES } from '../../core/tree/limits.ts';
import { parseGatewayOp } from './gateway-sessions.ts';
import { parsePageOp } from './page-ops.ts';

// Goal: the page's own run() takes values up to core's 1 MiB (no relay bounds it), and checks
// everything else exactly as the CLI gateway does.
describe('parsePageOp', () => {
  const create = { op: 'create', path: '/a', ephemeral: false, sequential: false } as const;

  test('data of 1 MiB passes for the page, not for the gateway', () => {
    const op = { ...create, data: 'x'.repeat(MAX_DATA_BYTES) };
    expect(parseGatewayOp(op)).toBeNull();
    expect(parsePageOp(op)).toEqual(op);
    expect(parsePageOp({ op: 'set', path: '/a', data: 'y'.repeat(MAX_DATA_LENGTH + 1), version: 3 })).toEqual({ op: 'set', path: '/a', data: 'y'.repeat(MAX_DATA_LENGTH + 1), version: 3 });
  });

  test('above 1 MiB (in UTF-8 bytes), or with anything else wrong, it is refused', () => {
    expect(parsePageOp({ ...create, data: 'x'.repeat(MAX_DATA_BYTES + 1) })).toBeNull();
    expect(parsePageOp({ ...create, data: 'é'.repeat(MAX_DATA_BYTES / 2 + 1) })).toBeNull();
    expect(parsePageOp({ ...create, path: 'relative', data: 'x'.repeat(MAX_DATA_LENGTH + 1) })).toBeNull();
    expect(parsePageOp({ op: 'get', path: '/a', data: 'x'.repeat(MAX_DATA_LENGTH + 1) })).toBeNull();
    expect(parsePageOp({ ...create, data: 'small', extra: 1 })).toBeNull();
  });

  test('small ops are the gateway’s', () => {
    expect(parsePageOp({ ...create, data: 'small' })).toEqual({ ...create, data: 'small' });
    expect(parsePageOp({ op: 'ls', path: '/' })).toEqual({ op: 'ls', path: '/' });
  });
});
