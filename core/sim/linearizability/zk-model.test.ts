import { describe, expect, test } from 'vitest';
import { seededRandom } from '../prng.ts';
import { checkOperations } from './checker.ts';
import { parseHistory } from './history.ts';
import { checkZkHistory, formatZkFailure, type ZkFailure } from './zk-history.ts';
import { zkModel, type ZkDataResult, type ZkResult } from './zk-model.ts';
import { parseZkHistory, zkOperationsFromHistory, type ZkHistoryRecord } from './zk-records.ts';

// ---- A small DSL for hand-made histories ---------------------------------------------------

type Op = 'create' | 'setData' | 'delete' | 'getData' | 'exists' | 'getChildren';
type Fields = Partial<Pick<ZkHistoryRecord, 'value' | 'version' | 'sequential'>>;

/** A success in [call, return]. */
function ok(client: number, op: Op, path: string, [call, returned]: [number, number], result: ZkResult, fields: Fields = {}): ZkHistoryRecord {
  return { client, op, path, ...fields, call, return: returned, ok: true, result };
}

/** A definite error in [call, return]. */
function err(client: number, op: Op, path: string, [call, returned]: [number, number], error: string, fields: Fields = {}): ZkHistoryRecord {
  return { client, op, path, ...fields, call, return: returned, ok: false, result: error };
}

/** An operation whose client never heard back. */
function pending(client: number, op: Op, path: string, call: number, fields: Fields = {}): ZkHistoryRecord {
  return { client, op, path, ...fields, call, return: null, ok: null };
}

const data = (text: string, version: number): ZkDataResult => ({ data: text, version });
const seq = { sequential: true } as const;

function failureOf(history: readonly ZkHistoryRecord[]): ZkFailure {
  const checked = checkZkHistory(history);
  expect(checked.result).toBe('Illegal');
  if (checked.failure === undefined) throw new Error('an Illegal result has no failure');
  return checked.failure;
}

interface Pair {
  readonly name: string;
  readonly ok: ZkHistoryRecord[];
  readonly bad: ZkHistoryRecord[];
}

/**
 * Porcupine-style ok/bad pairs: each pair differs in as little as possible, so it shows what
 * makes a history illegal. Times are small integers; a 'bad' may also be a separate scenario
 * when the task names one.
 */
const pairs: Pair[] = [
  {
    name: 'sequential create, setData, reads (bad: getData after a completed setData sees the old data)',
    ok: [
      ok(1, 'create', '/a', [0, 1], '/a', { value: 'x' }),
      ok(2, 'setData', '/a', [2, 3], 1, { value: 'y', version: -1 }),
      ok(3, 'getData', '/a', [4, 5], data('y', 1)),
      ok(1, 'exists', '/a', [6, 7], 1),
      ok(2, 'create', '/a/b', [8, 9], '/a/b', { value: '' }),
      ok(3, 'getChildren', '/a', [10, 11], ['b']),
    ],
    bad: [
      ok(1, 'create', '/a', [0, 1], '/a', { value: 'x' }),
      ok(2, 'setData', '/a', [2, 3], 1, { value: 'y', version: -1 }),
      ok(3, 'getData', '/a', [4, 5], data('x', 0)),
    ],
  },
  {
    name: 'concurrent creates of one path (bad: both succeed)',
    ok: [ok(1, 'create', '/a', [0, 10], '/a', { value: '1' }), err(2, 'create', '/a', [1, 9], 'NodeExists', { value: '2' })],
    bad: [ok(1, 'create', '/a', [0, 10], '/a', { value: '1' }), ok(2, 'create', '/a', [1, 9], '/a', { value: '2' })],
  },
  {
    name: 'create fails NoNode while its parent is created concurrently (bad: the parent was created before)',
    ok: [
      err(1, 'create', '/a/b', [0, 10], 'NoNode', { value: 'b' }),
      ok(2, 'create', '/a', [1, 5], '/a', { value: 'a' }),
      err(3, 'getData', '/a/b', [11, 12], 'NoNode'),
    ],
    bad: [ok(2, 'create', '/a', [0, 1], '/a', { value: 'a' }), err(1, 'create', '/a/b', [2, 10], 'NoNode', { value: 'b' })],
  },
  {
    name: 'concurrent sequential creates get their suffixes in either order (bad: in reverse real-time order)',
    ok: [
      ok(1, 'create', '/a', [0, 1], '/a'),
      ok(1, 'create', '/a/s-', [5, 10], '/a/s-0000000001', seq),
      ok(2, 'create', '/a/s-', [6, 9], '/a/s-0000000000', seq),
    ],
    bad: [
      ok(1, 'create', '/a', [0, 1], '/a'),
      ok(1, 'create', '/a/s-', [5, 6], '/a/s-0000000001', seq),
      ok(2, 'create', '/a/s-', [7, 8], '/a/s-0000000000', seq),
    ],
  },
  {
    name: 'sequential suffixes count every create under the parent (bad: one repeats)',
    ok: [
      ok(1, 'create', '/a', [0, 1], '/a'),
      ok(1, 'create', '/a/s-', [2, 3], '/a/s-0000000000', seq),
      ok(2, 'create', '/a/x', [4, 5], '/a/x'),
      ok(1, 'create', '/a/s-', [6, 7], '/a/s-0000000002', seq),
    ],
    bad: [
      ok(1, 'create', '/a', [0, 1], '/a'),
      ok(1, 'create', '/a/s-', [2, 3], '/a/s-0000000000', seq),
      ok(2, 'create', '/a/s-', [4, 5], '/a/s-0000000000', seq),
    ],
  },
  {
    name: 'a suffix skips nothing (bad: 0000000000 then 0000000002 with nothing between)',
    ok: [ok(1, 'create', '/a', [0, 1], '/a'), ok(1, 'create', '/a/s-', [2, 3], '/a/s-0000000000', seq), ok(1, 'create', '/a/s-', [4, 5], '/a/s-0000000001', seq)],
    bad: [ok(1, 'create', '/a', [0, 1], '/a'), ok(1, 'create', '/a/s-', [2, 3], '/a/s-0000000000', seq), ok(1, 'create', '/a/s-', [4, 5], '/a/s-0000000002', seq)],
  },
  {
    name: "deletes do not lower the counter: ZooKeeper 3.8's create a, create b, delete a, delete b, next is 0000000002 (bad: reused)",
    ok: [
      ok(1, 'create', '/a', [0, 1], '/a'),
      ok(1, 'create', '/a/a', [2, 3], '/a/a'),
      ok(1, 'create', '/a/b', [4, 5], '/a/b'),
      ok(1, 'delete', '/a/a', [6, 7], null, { version: -1 }),
      ok(1, 'delete', '/a/b', [8, 9], null, { version: -1 }),
      ok(1, 'create', '/a/s-', [10, 11], '/a/s-0000000002', seq),
    ],
    bad: [
      ok(1, 'create', '/a', [0, 1], '/a'),
      ok(1, 'create', '/a/s-', [2, 3], '/a/s-0000000000', seq),
      ok(1, 'delete', '/a/s-0000000000', [4, 5], null, { version: -1 }),
      ok(1, 'create', '/a/s-', [6, 7], '/a/s-0000000000', seq),
    ],
  },
  {
    name: 'a pending create seen by getChildren (bad: seen before the create was even called)',
    ok: [ok(1, 'create', '/a', [0, 1], '/a'), pending(2, 'create', '/a/x', 2, { value: 'x' }), ok(3, 'getChildren', '/a', [5, 6], ['x'])],
    bad: [ok(1, 'create', '/a', [0, 1], '/a'), ok(3, 'getChildren', '/a', [5, 6], ['x']), pending(2, 'create', '/a/x', 7, { value: 'x' })],
  },
  {
    name: 'a pending create never seen (bad: a pending setData cannot make a node appear)',
    ok: [ok(1, 'create', '/a', [0, 1], '/a'), pending(2, 'create', '/a/x', 2, { value: 'x' }), ok(3, 'getChildren', '/a', [5, 6], [])],
    bad: [ok(1, 'create', '/a', [0, 1], '/a'), pending(2, 'setData', '/a/x', 2, { value: 'x' }), ok(3, 'getChildren', '/a', [5, 6], ['x'])],
  },
  {
    name: 'setData with a matching expected version (bad: version 0 succeeds twice in sequence)',
    ok: [
      ok(1, 'create', '/a', [0, 1], '/a'),
      ok(1, 'setData', '/a', [2, 3], 1, { value: 'y', version: 0 }),
      ok(2, 'setData', '/a', [4, 5], 2, { value: 'z', version: 1 }),
      err(3, 'setData', '/a', [6, 7], 'BadVersion', { value: 'w', version: 0 }),
    ],
    bad: [
      ok(1, 'create', '/a', [0, 1], '/a'),
      ok(1, 'setData', '/a', [2, 3], 1, { value: 'y', version: 0 }),
      ok(2, 'setData', '/a', [4, 5], 2, { value: 'z', version: 0 }),
    ],
  },
  {
    name: 'delete, then getData fails NoNode (bad: NoNode though the create completed before the read)',
    ok: [ok(1, 'create', '/a', [0, 1], '/a'), ok(1, 'delete', '/a', [2, 3], null, { version: 0 }), err(2, 'getData', '/a', [4, 5], 'NoNode')],
    bad: [ok(1, 'create', '/a', [0, 1], '/a'), err(2, 'getData', '/a', [4, 5], 'NoNode')],
  },
  {
    name: 'delete of a node with a child fails NotEmpty (bad: it succeeds)',
    ok: [ok(1, 'create', '/a', [0, 1], '/a'), ok(1, 'create', '/a/b', [2, 3], '/a/b'), err(2, 'delete', '/a', [4, 5], 'NotEmpty', { version: -1 })],
    bad: [ok(1, 'create', '/a', [0, 1], '/a'), ok(1, 'create', '/a/b', [2, 3], '/a/b'), ok(2, 'delete', '/a', [4, 5], null, { version: -1 })],
  },
  {
    name: 'getChildren overlapping a create may miss it (bad: it misses a create that completed before it)',
    ok: [ok(1, 'create', '/a', [0, 1], '/a'), ok(1, 'create', '/a/b', [2, 6], '/a/b'), ok(2, 'getChildren', '/a', [4, 5], [])],
    bad: [ok(1, 'create', '/a', [0, 1], '/a'), ok(1, 'create', '/a/b', [2, 3], '/a/b'), ok(2, 'getChildren', '/a', [4, 5], [])],
  },
  {
    name: "delete checks in PrepRequestProcessor's order: BadVersion before NotEmpty (bad: NotEmpty)",
    ok: [ok(1, 'create', '/a', [0, 1], '/a'), ok(1, 'create', '/a/b', [2, 3], '/a/b'), err(2, 'delete', '/a', [4, 5], 'BadVersion', { version: 7 })],
    bad: [ok(1, 'create', '/a', [0, 1], '/a'), ok(1, 'create', '/a/b', [2, 3], '/a/b'), err(2, 'delete', '/a', [4, 5], 'NotEmpty', { version: 7 })],
  },
  {
    name: 'delete checks NoNode before BadVersion (bad: BadVersion on a missing node)',
    ok: [ok(1, 'create', '/a', [0, 1], '/a'), err(2, 'delete', '/a/b', [2, 3], 'NoNode', { version: 7 })],
    bad: [ok(1, 'create', '/a', [0, 1], '/a'), err(2, 'delete', '/a/b', [2, 3], 'BadVersion', { version: 7 })],
  },
  {
    name: 'exists gives the version or null (bad: a stale version)',
    ok: [ok(1, 'exists', '/a', [0, 1], null), ok(1, 'create', '/a', [2, 3], '/a'), ok(1, 'setData', '/a', [4, 5], 1, { value: 'v' }), ok(2, 'exists', '/a', [6, 7], 1)],
    bad: [ok(1, 'exists', '/a', [0, 1], null), ok(1, 'create', '/a', [2, 3], '/a'), ok(1, 'setData', '/a', [4, 5], 1, { value: 'v' }), ok(2, 'exists', '/a', [6, 7], 0)],
  },
  {
    name: 'getChildren of the root couples every top-level node (bad: a completed create is missing)',
    ok: [ok(1, 'create', '/a', [0, 1], '/a'), ok(2, 'create', '/b', [0, 4], '/b'), ok(3, 'getChildren', '/', [2, 3], ['a'])],
    bad: [ok(1, 'create', '/a', [0, 1], '/a'), ok(2, 'create', '/b', [0, 1], '/b'), ok(3, 'getChildren', '/', [2, 3], ['a'])],
  },
  {
    name: "a sequential create under the root counts every top-level create (bad: it ignores /a's)",
    ok: [ok(1, 'create', '/a', [0, 1], '/a'), ok(2, 'create', '/s-', [2, 3], '/s-0000000001', seq)],
    bad: [ok(1, 'create', '/a', [0, 1], '/a'), ok(2, 'create', '/s-', [2, 3], '/s-0000000000', seq)],
  },
  {
    name: 'BadArguments is for bad arguments only (bad: for a valid path)',
    ok: [
      ok(1, 'create', '/a', [0, 1], '/a'),
      err(1, 'create', '/a/', [2, 3], 'BadArguments'),
      err(1, 'delete', '/', [4, 5], 'BadArguments'),
      ok(1, 'create', '/a/', [6, 7], '/a/0000000000', seq),
      err(2, 'create', '/', [8, 9], 'NodeExists'),
      err(2, 'getData', '/a/../b', [10, 11], 'BadArguments'),
    ],
    bad: [err(1, 'create', '/a', [0, 1], 'BadArguments')],
  },
];

// Goal: the verdict on every hand-made pair (Porcupine's method), and that the window of each
// bad one fails on its own.
describe('ok/bad pairs', () => {
  for (const pair of pairs) {
    test(`${pair.name}: ok is linearizable`, () => {
      expect(checkZkHistory(pair.ok)).toEqual({ result: 'Ok' });
      expect(checkOperations(zkModel, zkOperationsFromHistory(pair.ok).operations)).toBe(true);
    });

    test(`${pair.name}: bad is not, and its window fails on its own`, () => {
      const failure = failureOf(pair.bad);
      expect(checkOperations(zkModel, zkOperationsFromHistory(pair.bad).operations)).toBe(false);
      expect(failure.window.length).toBeGreaterThan(0);
      expect(failure.window.length).toBeLessThanOrEqual(pair.bad.length);
      expect(checkZkHistory(failure.window).result).toBe('Illegal');
      expect(failure.explanation).toContain(JSON.stringify(failure.partition));
    });
  }

  test('a failure prints one line per operation and names the first misfit in call order', () => {
    const failure = failureOf(pairs[0]?.bad ?? []);
    const report = formatZkFailure(failure);
    console.log(report);
    expect(report).toContain('not linearizable: partition "/a", 3 operations');
    expect(report).toContain('getData /a');
    expect(report).toContain('"x" version 0');
    expect(report).toContain('[4, 5]');
    expect(failure.explanation).toContain('the tree would have answered "y" version 1');
  });
});

describe('records', () => {
  test('an operation the model does not know is refused with its index', () => {
    const history = [ok(1, 'create', '/a', [0, 1], '/a'), { client: 1, op: 'put', path: '/a', call: 2, return: 3, ok: true }];
    expect(() => checkZkHistory(history)).toThrow('history record 1: the ZooKeeper model has no operation "put"');
  });

  test('a result of the wrong shape and an unnamed error are refused with their index', () => {
    expect(() => checkZkHistory([ok(1, 'getData', '/a', [0, 1], 3)])).toThrow(/^history record 0: a successful getData returns/);
    expect(() => checkZkHistory([err(1, 'create', '/a', [0, 1], 'Oops')])).toThrow(/^history record 0: a failed create must name its error/);
  });

  test('unknown outcomes: ConnectionLoss is a pending write, an unknown read constrains nothing', () => {
    const history = [
      { ...err(1, 'create', '/a', [0, 1], 'ConnectionLoss'), value: 'x' },
      ok(2, 'getData', '/a', [5, 6], data('x', 0)),
      { ...ok(3, 'getData', '/a', [7, 8], data('garbage', 9)), ok: null },
      { ...ok(3, 'exists', '/a', [9, 10], 42), return: null },
    ];
    expect(checkZkHistory(history).result).toBe('Ok');
  });

  test('getChildren results are compared as sets of names', () => {
    const history = [ok(1, 'create', '/a', [0, 1], '/a'), ok(1, 'create', '/a/y', [2, 3], '/a/y'), ok(1, 'create', '/a/x', [4, 5], '/a/x'), ok(2, 'getChildren', '/a', [6, 7], ['y', 'x'])];
    expect(checkZkHistory(history).result).toBe('Ok');
  });

  test('parseZkHistory keeps the results of every shape and the sequential flag; parseHistory keeps sequential', () => {
    const history = [
      ok(1, 'create', '/a/s-', [0, 1], '/a/s-0000000000', { value: 'x', sequential: true }),
      ok(1, 'setData', '/a', [2, 3], 1, { value: 'y', version: 0 }),
      ok(1, 'getData', '/a', [4, 5], data('y', 1)),
      ok(1, 'getChildren', '/a', [6, 7], ['s-0000000000']),
      pending(1, 'delete', '/a', 8, { version: -1 }),
    ];
    expect(parseZkHistory(JSON.parse(JSON.stringify(history)))).toEqual(history);
    const kvShaped = [{ client: 1, op: 'create', path: '/a/s-', value: 'x', sequential: true, call: 0, return: 1, ok: true, result: '/a/s-0000000000' }];
    expect(parseHistory(kvShaped)).toEqual(kvShaped);
    expect(() => parseZkHistory([{ ...history[0], result: { data: 1 } }])).toThrow('history record 0 is invalid: result: ');
    expect(() => parseZkHistory([{ ...history[0], call: 'soon' }])).toThrow(/^history record 0 is invalid: call: /);
  });
});

// ---- Generated histories ----------------------------------------------------------------

interface RefNode {
  data: string;
  version: number;
  creates: number;
  readonly children: Set<string>;
}

type RefOutcome = { ok: true; result: ZkResult } | { ok: false; error: string };

/**
 * The reference tree the generated histories come from: a plain mutable map, written apart
 * from the model (only the paths the generator makes: valid, at most two levels deep).
 */
class ReferenceTree {
  readonly nodes = new Map<string, RefNode>([['/', { data: '', version: 0, creates: 0, children: new Set() }]]);

  run(record: ZkHistoryRecord): RefOutcome {
    const node = this.nodes.get(record.path);
    const version = record.version ?? -1;
    switch (record.op) {
      case 'create':
        return this.create(record.path, record.value ?? '', record.sequential === true);
      case 'setData':
        if (node === undefined) return { ok: false, error: 'NoNode' };
        if (version !== -1 && version !== node.version) return { ok: false, error: 'BadVersion' };
        node.data = record.value ?? '';
        node.version++;
        return { ok: true, result: node.version };
      case 'delete':
        if (node === undefined) return { ok: false, error: 'NoNode' };
        if (version !== -1 && version !== node.version) return { ok: false, error: 'BadVersion' };
        if (node.children.size > 0) return { ok: false, error: 'NotEmpty' };
        this.nodes.delete(record.path);
        this.parent(record.path).node?.children.delete(this.parent(record.path).name);
        return { ok: true, result: null };
      case 'getData':
        return node === undefined ? { ok: false, error: 'NoNode' } : { ok: true, result: data(node.data, node.version) };
      case 'exists':
        return { ok: true, result: node === undefined ? null : node.version };
      default:
        return node === undefined ? { ok: false, error: 'NoNode' } : { ok: true, result: [...node.children].sort() };
    }
  }

  private parent(path: string): { node: RefNode | undefined; name: string } {
    const slash = path.lastIndexOf('/');
    return { node: this.nodes.get(slash === 0 ? '/' : path.slice(0, slash)), name: path.slice(slash + 1) };
  }

  private create(requested: string, text: string, sequential: boolean): RefOutcome {
    const { node: parent, name: requestedName } = this.parent(requested);
    if (parent === undefined) return { ok: false, error: 'NoNode' };
    const suffix = sequential ? String(parent.creates).padStart(10, '0') : '';
    const path = requested + suffix;
    if (this.nodes.has(path)) return { ok: false, error: 'NodeExists' };
    parent.creates++;
    parent.children.add(requestedName + suffix);
    this.nodes.set(path, { data: text, version: 0, creates: 0, children: new Set() });
    return { ok: true, result: path };
  }
}

interface GeneratorOptions {
  operations: number;
  clients: number;
  /** How many top-level nodes ("/t0", ...); every path is at most two levels below one. */
  tops: number;
  /** Each interval reaches up to this far either side of its linearization point. */
  slack: number;
  /** Whether to include operations with unknown outcomes. */
  faults: boolean;
  /** Whether to add "/p", a top-level node that is created but never deleted. */
  permanentNode: boolean;
}

/** A random request on the generator's small tree (paths of existing children included). */
function randomRequest(random: () => number, tree: ReferenceTree, options: GeneratorOptions, value: string): ZkHistoryRecord {
  const below = (n: number): number => Math.floor(random() * n);
  const top = options.permanentNode && below(6) === 0 ? '/p' : `/t${below(options.tops)}`;
  const topNode = tree.nodes.get(top);
  const existing = topNode === undefined ? [] : [...topNode.children].map((name) => `${top}/${name}`);
  const roll = below(10);
  const path = roll < 3 ? top : roll < 6 && existing.length > 0 ? (existing[below(existing.length)] ?? top) : `${top}/${below(2) === 0 ? 'x' : 'y'}`;
  const node = tree.nodes.get(path);
  const versionRoll = below(4);
  const version = versionRoll < 2 ? -1 : versionRoll === 2 && node !== undefined ? node.version : below(3);
  const base = { client: 0, call: 0, return: 0, ok: true };
  const kind = below(20);
  if (kind < 6) {
    const sequential = top !== '/p' && below(4) === 0;
    return { ...base, op: 'create', path: sequential ? `${top}/s-` : path, value, sequential };
  }
  if (kind < 10) return { ...base, op: 'setData', path, value, version };
  // "/p" is never deleted: once created it stays, so a second create must fail NodeExists.
  if (kind < 13 && top !== '/p') return { ...base, op: 'delete', path, version };
  const op = (['getData', 'exists', 'getChildren'] as const)[below(3)] ?? 'getData';
  return { ...base, op, path: op === 'getChildren' && below(2) === 0 ? top : path };
}

/**
 * A history that is linearizable by construction: run random requests in sequence on the
 * reference tree, one every 10 time units, then draw each one's [call, return] at random
 * around that linearization point. With faults, some writes never return (applied or not)
 * and some reads lose their answer.
 */
function generateHistory(seed: number, options: GeneratorOptions): ZkHistoryRecord[] {
  const random = seededRandom(seed);
  const below = (n: number): number => Math.floor(random() * n);
  const tree = new ReferenceTree();
  const history: ZkHistoryRecord[] = [];
  for (let i = 0; i < options.operations; i++) {
    const point = 10 * (i + 1);
    const request = randomRequest(random, tree, options, `v${i}`);
    const call = point - below(options.slack + 1);
    const returned = point + below(options.slack + 1);
    const isWrite = request.op === 'create' || request.op === 'setData' || request.op === 'delete';
    // 0: applied but never returned; 1: never applied, ConnectionLoss; 2: a read's answer lost.
    const fault = options.faults ? below(25) : -1;
    const record: ZkHistoryRecord = { ...request, client: i % options.clients, call, return: returned };
    if (isWrite && fault === 1) {
      history.push({ ...record, ok: false, result: 'ConnectionLoss' });
      continue;
    }
    const outcome = tree.run(record);
    const result = outcome.ok ? outcome.result : outcome.error;
    if (isWrite && fault === 0) history.push({ ...record, return: null, ok: null });
    else if (!isWrite && fault === 2) history.push({ ...record, ok: null });
    else history.push({ ...record, ok: outcome.ok, result });
  }
  return history;
}

/**
 * Plants a bug that no order can explain: a version nobody reached, or a second successful
 * create of "/p" (never deleted) where a create already succeeded. Returns the victim's index.
 */
function corrupt(history: ZkHistoryRecord[], seed: number): number | null {
  const random = seededRandom(seed ^ 0x5eed);
  const indexes = (keep: (record: ZkHistoryRecord) => boolean): number[] =>
    history.flatMap((record, index) => (record.ok === true && record.return !== null && keep(record) ? [index] : []));
  const createdP = indexes((record) => record.op === 'create' && record.path === '/p').length > 0;
  const secondCreates = createdP
    ? history.flatMap((record, index) => (record.op === 'create' && record.path === '/p' && record.result === 'NodeExists' ? [index] : []))
    : [];
  const versions = indexes((record) => record.op === 'setData' || (record.op === 'getData' && record.result !== null));
  const kind = seed % 2 === 0 && secondCreates.length > 0 ? 'create' : 'version';
  const candidates = kind === 'create' ? secondCreates : versions;
  const victim = candidates[Math.floor(random() * candidates.length)];
  if (victim === undefined) return null;
  const record = history[victim] as ZkHistoryRecord;
  if (kind === 'create') history[victim] = { ...record, ok: true, result: '/p' };
  else if (record.op === 'setData') history[victim] = { ...record, result: (record.result as number) + 1000 };
  else history[victim] = { ...record, result: data((record.result as ZkDataResult).data, (record.result as ZkDataResult).version + 1000) };
  return victim;
}

// Goal: no false alarms on correct histories, and a planted bug is always caught with a window
// that fails on its own and holds the bug.
describe('randomized self-check', () => {
  const options: GeneratorOptions = { operations: 120, clients: 4, tops: 2, slack: 19, faults: true, permanentNode: true };

  test('200 histories generated from a sequential execution are linearizable', () => {
    for (let seed = 1; seed <= 200; seed++) {
      expect(checkZkHistory(generateHistory(seed, options)).result, `seed ${seed}`).toBe('Ok');
    }
  });

  test('a corrupted result is caught, and its window holds it and fails alone', () => {
    let corrupted = 0;
    let windowSizes = 0;
    let slowestMs = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const history = generateHistory(seed, options);
      const victim = corrupt(history, seed);
      if (victim === null) continue;
      corrupted++;
      const started = performance.now();
      const failure = failureOf(history);
      slowestMs = Math.max(slowestMs, performance.now() - started);
      expect(failure.window, `seed ${seed}`).toContain(history[victim]);
      expect(checkZkHistory(failure.window).result, `seed ${seed}`).toBe('Illegal');
      windowSizes += failure.window.length;
    }
    expect(corrupted).toBeGreaterThan(190);
    console.log(`${corrupted} corrupted histories, mean window ${(windowSizes / corrupted).toFixed(1)} operations, slowest check ${slowestMs.toFixed(0)} ms`);
  });
});

/**
 * The definition itself, for tiny histories: try every order that respects real time, on the
 * reference tree. A write of unknown outcome returns at infinity (it may come last, which is
 * the same as never taking effect) and fits any answer; an unknown read is dropped.
 */
function bruteForceLinearizable(records: readonly ZkHistoryRecord[]): boolean {
  const isWrite = (record: ZkHistoryRecord): boolean => record.op === 'create' || record.op === 'setData' || record.op === 'delete';
  const unknown = (record: ZkHistoryRecord): boolean => record.ok === null || record.return === null || record.result === 'ConnectionLoss';
  const operations = records.filter((record) => isWrite(record) || !unknown(record));
  const finishedAt = (record: ZkHistoryRecord): number => (unknown(record) ? Infinity : (record.return ?? Infinity));
  const search = (placed: readonly number[]): boolean => {
    if (placed.length === operations.length) return true;
    for (let i = 0; i < operations.length; i++) {
      const operation = operations[i] as ZkHistoryRecord;
      if (placed.includes(i)) continue;
      if (operations.some((other, j) => j !== i && !placed.includes(j) && finishedAt(other) < operation.call)) continue;
      const tree = new ReferenceTree();
      let fits = true;
      for (const index of [...placed, i]) {
        const step = operations[index] as ZkHistoryRecord;
        const outcome = tree.run(step);
        if (unknown(step)) continue;
        const result = outcome.ok ? outcome.result : outcome.error;
        fits = outcome.ok === step.ok && (isWrite(step) && step.ok && step.result === null ? true : JSON.stringify(result) === JSON.stringify(step.result));
        if (!fits) break;
      }
      if (fits && search([...placed, i])) return true;
    }
    return false;
  };
  return search([]);
}

describe('agreement with the definition on tiny histories', () => {
  test('checkZkHistory and its windows agree with brute force on 1500 random 6-operation histories', () => {
    const random = seededRandom(11);
    const below = (n: number): number => Math.floor(random() * n);
    let illegal = 0;
    for (let round = 0; round < 1500; round++) {
      const history = generateHistory(1000 + round, { operations: 6, clients: 6, tops: 1, slack: 25, faults: true, permanentNode: true });
      // Perturb one definite result in a third of the rounds: often illegal, sometimes not.
      const definite = history.flatMap((record, index) => (record.ok !== null && record.return !== null && record.result !== 'ConnectionLoss' ? [index] : []));
      const victim = below(3) === 0 ? definite[below(definite.length)] : undefined;
      if (victim !== undefined) history[victim] = perturb(history[victim] as ZkHistoryRecord, below);
      const checked = checkZkHistory(history);
      const expected = bruteForceLinearizable(history);
      expect(checked.result, JSON.stringify(history)).toBe(expected ? 'Ok' : 'Illegal');
      if (checked.failure === undefined) continue;
      illegal++;
      expect(bruteForceLinearizable(checked.failure.window), JSON.stringify(history)).toBe(false);
    }
    expect(illegal).toBeGreaterThan(100);
  });
});

/** A nearby wrong answer: another error, success instead of failure, a version off by one. */
function perturb(record: ZkHistoryRecord, below: (n: number) => number): ZkHistoryRecord {
  if (record.ok === false) {
    const errors = ['NoNode', 'NodeExists', 'BadVersion', 'NotEmpty'].filter((error) => error !== record.result);
    if (below(2) === 0) return { ...record, result: errors[below(errors.length)] ?? 'NoNode' };
    const results: Partial<Record<string, ZkResult>> = { create: record.path, getData: data('', 0), getChildren: [] };
    return { ...record, ok: true, result: results[record.op] ?? null };
  }
  const result = record.result;
  if (typeof result === 'number') return { ...record, result: result + 1 };
  if (typeof result === 'object' && result !== null && !Array.isArray(result)) return { ...record, result: data((result as ZkDataResult).data, (result as ZkDataResult).version + 1) };
  if (Array.isArray(result)) return { ...record, result: result.length > 0 ? result.slice(1) : ['x'] };
  return { ...record, ok: false, result: record.op === 'create' ? 'NodeExists' : 'NoNode' };
}

describe('performance', () => {
  test('2000 operations, 5 clients, 4 top-level nodes, depth <= 2', () => {
    const history = generateHistory(42, { operations: 2000, clients: 5, tops: 4, slack: 24, faults: true, permanentNode: false });
    // performance.now only measures this test; the checker itself reads no clock.
    const started = performance.now();
    const checked = checkZkHistory(history);
    const elapsedMs = performance.now() - started;
    expect(checked.result).toBe('Ok');
    console.log(`checked 2000 ZooKeeper operations over 4 top-level nodes in ${elapsedMs.toFixed(1)} ms`);
  });
});
