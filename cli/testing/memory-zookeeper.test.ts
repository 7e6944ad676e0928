import { describe, expect, test } from 'vitest';
import type { GatewayOp } from '../../protocol/gateway-ops.ts';
import { MemoryZooKeeper } from './memory-zookeeper.ts';

// Goal: the test double answers the eight gateway ops with ZooKeeper's semantics, so CLI tests
// against it mean something. Method: ops in, results out, against the programmer's guide.
describe('MemoryZooKeeper (test double)', () => {
  const create = (path: string, data = '', flags: { ephemeral?: boolean; sequential?: boolean } = {}): GatewayOp => ({
    op: 'create',
    path,
    data,
    ephemeral: flags.ephemeral ?? false,
    sequential: flags.sequential ?? false,
  });

  test('create needs the parent, refuses duplicates and children of ephemerals', () => {
    const zk = new MemoryZooKeeper(() => 5);
    expect(zk.apply('c', create('/a/b'))).toEqual({ ok: false, error: 'NoNode' });
    expect(zk.apply('c', create('/a', 'x'))).toEqual({ ok: true, value: '/a' });
    expect(zk.apply('c', create('/a'))).toEqual({ ok: false, error: 'NodeExists' });
    expect(zk.apply('c', create('/'))).toEqual({ ok: false, error: 'NodeExists' });
    expect(zk.apply('c', create('/e', '', { ephemeral: true }))).toEqual({ ok: true, value: '/e' });
    expect(zk.apply('c', create('/e/child'))).toEqual({ ok: false, error: 'NoChildrenForEphemerals' });
    expect(zk.apply('c', { op: 'stat', path: '/e' })).toMatchObject({ ok: true, value: { ephemeralOwner: 'c' } });
  });

  test('sequential suffixes are 10 digits and count children ever created, while cversion counts creates and deletes', () => {
    const zk = new MemoryZooKeeper();
    zk.apply('c', create('/q'));
    zk.apply('c', create('/q/a'));
    zk.apply('c', create('/q/b'));
    zk.apply('c', { op: 'delete', path: '/q/a', version: -1 });
    zk.apply('c', { op: 'delete', path: '/q/b', version: -1 });
    expect(zk.apply('c', { op: 'stat', path: '/q' })).toMatchObject({ ok: true, value: { cversion: 4, numChildren: 0 } });
    expect(zk.apply('c', create('/q/n-', '', { sequential: true }))).toEqual({ ok: true, value: '/q/n-0000000002' });
    expect(zk.apply('c', create('/q/', '', { sequential: true }))).toEqual({ ok: true, value: '/q/0000000003' });
    expect(zk.apply('c', { op: 'ls', path: '/q' })).toEqual({ ok: true, value: ['0000000003', 'n-0000000002'] });
  });

  test('get, set and delete check versions (-1 matches any); delete refuses a node with children', () => {
    const zk = new MemoryZooKeeper(() => 7);
    zk.apply('c', create('/a', 'one'));
    expect(zk.apply('c', { op: 'get', path: '/a' })).toMatchObject({ ok: true, value: { data: 'one', stat: { version: 0, dataLength: 3 } } });
    expect(zk.apply('c', { op: 'set', path: '/a', data: 'two', version: 1 })).toEqual({ ok: false, error: 'BadVersion' });
    expect(zk.apply('c', { op: 'set', path: '/a', data: 'two', version: 0 })).toMatchObject({ ok: true, value: { version: 1 } });
    expect(zk.apply('c', { op: 'set', path: '/a', data: 'three', version: -1 })).toMatchObject({ ok: true, value: { version: 2 } });
    expect(zk.apply('c', { op: 'set', path: '/missing', data: 'x', version: -1 })).toEqual({ ok: false, error: 'NoNode' });
    zk.apply('c', create('/a/child'));
    expect(zk.apply('c', { op: 'delete', path: '/a', version: -1 })).toEqual({ ok: false, error: 'NotEmpty' });
    expect(zk.apply('c', { op: 'delete', path: '/a/child', version: 3 })).toEqual({ ok: false, error: 'BadVersion' });
    expect(zk.apply('c', { op: 'delete', path: '/a/child', version: 0 })).toEqual({ ok: true, value: null });
    expect(zk.apply('c', { op: 'delete', path: '/a/child', version: -1 })).toEqual({ ok: false, error: 'NoNode' });
    expect(zk.apply('c', { op: 'delete', path: '/', version: -1 })).toEqual({ ok: false, error: 'BadArguments' });
  });

  test('exists answers a stat or null; sync answers its path; reads of missing nodes are NoNode', () => {
    const zk = new MemoryZooKeeper();
    zk.apply('c', create('/a'));
    expect(zk.apply('c', { op: 'exists', path: '/a' })).toMatchObject({ ok: true, value: { version: 0 } });
    expect(zk.apply('c', { op: 'exists', path: '/b' })).toEqual({ ok: true, value: null });
    expect(zk.apply('c', { op: 'sync', path: '/b' })).toEqual({ ok: true, value: '/b' });
    for (const op of ['get', 'ls', 'stat'] as const) expect(zk.apply('c', { op, path: '/b' })).toEqual({ ok: false, error: 'NoNode' });
  });

  test('malformed ops are BadArguments, never an exception', () => {
    const zk = new MemoryZooKeeper();
    expect(zk.apply('c', { op: 'get' })).toEqual({ ok: false, error: 'BadArguments' });
    expect(zk.apply('c', { op: 'get', path: 'relative' })).toEqual({ ok: false, error: 'BadArguments' });
    expect(zk.apply('c', 'nonsense')).toEqual({ ok: false, error: 'BadArguments' });
  });
});
