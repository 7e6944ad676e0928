import { describe, expect, it } from 'vitest';
import { DataTree } from './data-tree.ts';
import { MAX_DATA_BYTES, MAX_MULTI_OPS, utf8ByteLength } from './limits.ts';

// Goal: validateOp refuses, with a readable reason, every request that ZooKeeper's client or the
// boundary would refuse, and nothing else. Method: one valid request per kind, then one broken
// field at a time.
const tree = new DataTree();

const create = { type: 'create', path: '/a', data: 'x', ephemeral: false, sequential: false, sessionId: null };
const valid: readonly [string, unknown][] = [
  ['create', create],
  ['an ephemeral sequential create with a session', { ...create, path: '/q/', ephemeral: true, sequential: true, sessionId: 's1' }],
  ['delete', { type: 'delete', path: '/a', version: -1 }],
  ['setData', { type: 'setData', path: '/a', data: '', version: 3 }],
  ['multi', { type: 'multi', sessionId: 's1', ops: [create, { type: 'check', path: '/a', version: 0 }, { type: 'delete', path: '/a', version: 0 }] }],
  ['multi whose create leaves out sessionId', { type: 'multi', sessionId: 's1', ops: [{ type: 'create', path: '/e', data: '', ephemeral: true, sequential: false }] }],
  ['an empty multi', { type: 'multi', sessionId: null, ops: [] }],
  ['createSession', { type: 'createSession', sessionId: 's1', timeoutMs: 30000 }],
  ['closeSession', { type: 'closeSession', sessionId: 's1' }],
  ['getData', { type: 'getData', path: '/a' }],
  ['exists', { type: 'exists', path: '/' }],
  ['getChildren', { type: 'getChildren', path: '/a' }],
  ['data of exactly 1 MiB', { ...create, data: 'x'.repeat(MAX_DATA_BYTES) }],
];

const invalid: readonly [string, unknown, RegExp][] = [
  ['not an object', 'create /a', /invalid request/],
  ['null', null, /invalid request/],
  ['an unknown type', { type: 'rename', path: '/a' }, /invalid request/],
  ['a missing field', { type: 'delete', path: '/a' }, /version/],
  ['an extra field', { ...create, acl: [] }, /acl/],
  ['a path that is not a string', { ...create, path: 7 }, /path/],
  ['data that is not a string', { ...create, data: [1, 2] }, /data/],
  ['ephemeral that is not a boolean', { ...create, ephemeral: 'yes' }, /ephemeral/],
  ['a version below -1', { type: 'delete', path: '/a', version: -2 }, /version/],
  ['a fractional version', { type: 'setData', path: '/a', data: '', version: 1.5 }, /version/],
  ['a version beyond a Java int', { type: 'setData', path: '/a', data: '', version: 2 ** 31 }, /version/],
  ['a relative path', { ...create, path: 'a' }, /must start with \//],
  ['a trailing slash without sequential', { ...create, path: '/a/' }, /must not end with \//],
  ['an invalid delete path', { type: 'delete', path: '/a/../b', version: -1 }, /relative paths/],
  ['an invalid read path', { type: 'getData', path: '//' }, /empty node name|must not end/],
  ['data over 1 MiB', { ...create, data: 'x'.repeat(MAX_DATA_BYTES + 1) }, /more than 1048576/],
  ['data over 1 MiB in UTF-8 bytes only', { ...create, data: 'é'.repeat(MAX_DATA_BYTES / 2 + 1) }, /1048578 bytes, more than/],
  ['setData over 1 MiB', { type: 'setData', path: '/a', data: 'x'.repeat(MAX_DATA_BYTES + 1), version: -1 }, /more than/],
  ['an ephemeral without a session', { ...create, ephemeral: true }, /needs a session/],
  ['an empty session id', { ...create, sessionId: '' }, /sessionId/],
  ['check outside a multi', { type: 'check', path: '/a', version: 0 }, /only allowed inside a multi/],
  ['a nested multi', { type: 'multi', sessionId: null, ops: [{ type: 'multi', sessionId: null, ops: [] }] }, /ops\.0/],
  ['a session op inside a multi', { type: 'multi', sessionId: null, ops: [{ type: 'closeSession', sessionId: 's1' }] }, /ops\.0/],
  ['a multi op with an invalid path', { type: 'multi', sessionId: null, ops: [create, { type: 'check', path: '/x/', version: 0 }] }, /ops\[1\]: path must not end/],
  ['an ephemeral in a multi without a session', { type: 'multi', sessionId: null, ops: [{ ...create, ephemeral: true }] }, /ops\[0\]: an ephemeral/],
  ['a multi op naming another session', { type: 'multi', sessionId: 's1', ops: [{ ...create, sessionId: 's2' }] }, /ops\[0\]: sessionId "s2" is not the multi's/],
  ['too many multi ops', { type: 'multi', sessionId: null, ops: Array.from({ length: MAX_MULTI_OPS + 1 }, () => create) }, /ops/],
  [
    'a multi whose data adds up to more than 1 MiB',
    { type: 'multi', sessionId: null, ops: [{ ...create, data: 'x'.repeat(MAX_DATA_BYTES / 2 + 1) }, { ...create, path: '/b', data: 'x'.repeat(MAX_DATA_BYTES / 2) }] },
    /data of a multi is 1048577 bytes/,
  ],
  ['a zero session timeout', { type: 'createSession', sessionId: 's1', timeoutMs: 0 }, /timeoutMs/],
  ['a read with extra fields', { type: 'exists', path: '/a', watch: true }, /watch/],
];

describe('validateOp', () => {
  it.each(valid)('accepts %s', (_name, op) => {
    expect(tree.validateOp(op)).toBeNull();
  });

  it.each(invalid)('refuses %s', (_name, op, reason) => {
    const problem = tree.validateOp(op);
    expect(problem).not.toBeNull();
    expect(problem).toMatch(reason);
  });

  it('counts data in UTF-8 bytes', () => {
    expect(utf8ByteLength('')).toBe(0);
    expect(utf8ByteLength('abc')).toBe(3);
    expect(utf8ByteLength('é')).toBe(2);
    expect(utf8ByteLength('東')).toBe(3);
    expect(utf8ByteLength('\u{1f600}')).toBe(4);
    expect(utf8ByteLength('\ud800')).toBe(3); // a lone surrogate, as TextEncoder's U+FFFD
  });
});
