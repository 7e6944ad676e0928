import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { checkRequest } from '../core/tree/requests.ts';
import { parseLine } from './command-parse.ts';
import { GatewayOpSchema, MAX_PATH_LENGTH, pathProblem } from './gateway-ops.ts';
import { ZkRequestSchema } from './zk-tab-ops.ts';

// Goal: one path rule everywhere. The CLI and the page's command bar (command-parse.ts), the
// gateway ops a tab accepts (gateway-ops.ts), the ZooKeeper listener's tab ops (zk-tab-ops.ts)
// and the data tree (core/tree/requests.ts) accept and refuse the same paths: ZooKeeper's
// PathUtils rules, and at most 4,096 characters. Before, the CLI allowed 1,024 characters with
// looser character rules than the tree, so a path could pass one layer and fail the next.

const long = (length: number) => `/${'a'.repeat(length - 1)}`;
const PATHS: readonly string[] = [
  '/',
  '/a',
  '/a/b-c.d_e',
  '/zoo/é/日本',
  'a',
  '',
  '/a/',
  '/a//b',
  '/a/./b',
  '/a/../b',
  '/a/..b',
  '/a\u0000',
  '/a\u0001',
  '/a\u007f',
  '/a\u0085',
  '/\ud800',
  '/\uf8ff',
  '/\ufff0',
  long(MAX_PATH_LENGTH),
  long(MAX_PATH_LENGTH + 1),
];

describe('one path rule', () => {
  it('bounds paths at 4,096 characters, as the data tree does', () => {
    expect(MAX_PATH_LENGTH).toBe(4096);
    expect(pathProblem(long(4096))).toBeNull();
    expect(pathProblem(long(4097))).toBe('path is longer than 4096 characters');
  });

  it.each(PATHS.map((path) => [JSON.stringify(path).slice(0, 40), path]))('%s: the CLI, the gateway, the listener and the tree agree', (_, path) => {
    const valid = pathProblem(path) === null;
    const tree = checkRequest({ type: 'getData', path });
    expect(tree.ok, `data tree: ${tree.ok ? 'accepted' : tree.reason}`).toBe(valid);
    expect(v.is(GatewayOpSchema, { op: 'get', path }), 'gateway op').toBe(valid);
    // The listener's schema bounds the length; the tab's data tree applies the rest (above).
    if (path.length > MAX_PATH_LENGTH) expect(v.is(ZkRequestSchema, { type: 'getData', path, watch: false })).toBe(false);
    if (path !== '' && !/\s|#|["'\\]/.test(path)) {
      const line = parseLine(`get ${path}`, 1);
      expect(line.kind === 'op' && line.problem === undefined, `command line: ${JSON.stringify(line).slice(0, 200)}`).toBe(valid);
    }
  });

  it('a sequential create may end in / (the counter follows), as in ZooKeeper', () => {
    expect(pathProblem('/locks/', true)).toBeNull();
    expect(pathProblem('/locks/', false)).not.toBeNull();
    expect(v.is(GatewayOpSchema, { op: 'create', path: '/locks/', data: '', ephemeral: false, sequential: true })).toBe(true);
    expect(checkRequest({ type: 'create', path: '/locks/', data: '', ephemeral: false, sequential: true, sessionId: null }).ok).toBe(true);
  });
});
