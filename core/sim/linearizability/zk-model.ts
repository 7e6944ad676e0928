import type { Model, Operation, StepResult } from './model.ts';

/**
 * The ZooKeeper data tree as a Porcupine model: persistent znodes with data, a version and a
 * sequential counter, and the operations a client sees go through the log (create, setData,
 * delete, and reads preceded by a sync). Errors are results too: a failed operation changed
 * nothing, but its error must be the one ZooKeeper 3.8 would give in the state at its
 * linearization point, checked in PrepRequestProcessor's order:
 * - create: BadArguments (path), NoNode (parent), NodeExists (the final name);
 *   NoChildrenForEphemerals never happens here, since ephemerals are out of this model;
 * - delete: BadArguments (path, or the root), NoNode (parent or node), BadVersion, NotEmpty;
 * - setData: BadArguments, NoNode, BadVersion.
 * The sequential suffix is the parent's count of children ever created (deletes do not lower
 * it), as measured on ZooKeeper 3.8 (docs/ARCHITECTURE.md): create a, create b, delete a, delete b, and the
 * next suffix is 0000000002.
 *
 * This is a second, deliberately independent implementation of the semantics: it imports
 * nothing from core/tree, so a bug there cannot hide by being copied here.
 */

export const ZK_ERROR_NAMES = ['NoNode', 'NodeExists', 'BadVersion', 'NotEmpty', 'NoChildrenForEphemerals', 'BadArguments'] as const;
export type ZkErrorName = (typeof ZK_ERROR_NAMES)[number];

export type ZkInput =
  | { readonly op: 'create'; readonly path: string; readonly data: string; readonly sequential: boolean }
  | { readonly op: 'setData'; readonly path: string; readonly data: string; readonly version: number }
  | { readonly op: 'delete'; readonly path: string; readonly version: number }
  | { readonly op: 'getData' | 'exists' | 'getChildren'; readonly path: string };

export type ZkOpName = ZkInput['op'];

/** What getData returns. */
export interface ZkDataResult {
  readonly data: string;
  readonly version: number;
}

/**
 * A successful result: create → the created path; setData → the new version; delete → null;
 * getData → data and version; exists → the version, or null when absent; getChildren → the
 * child names, sorted by UTF-16 code units (Array.prototype.sort's order).
 */
export type ZkResult = string | number | null | readonly string[] | ZkDataResult;

/**
 * What the client observed. A write's `result` may be null when it was not recorded, and is
 * then not checked. 'unknown' is an outcome the client never learned (ConnectionLoss,
 * OperationTimeout): the write may or may not have taken effect.
 */
export type ZkOutput =
  | { readonly kind: 'ok'; readonly result: ZkResult }
  | { readonly kind: 'error'; readonly error: ZkErrorName }
  | { readonly kind: 'unknown' };

export type ZkOperation = Operation<ZkInput, ZkOutput>;

/** What the tree answers to an input, before anyone compares it with what a client saw. */
export type ZkOutcome = { readonly ok: true; readonly result: ZkResult } | { readonly ok: false; readonly error: ZkErrorName };

export interface ZkNode {
  readonly data: string;
  readonly version: number;
  /** Children ever created here: the next sequential suffix. Invariant: >= children.length. */
  readonly childCreates: number;
  /** Child names, sorted. Invariant: exactly the names of the nodes one level below. */
  readonly children: readonly string[];
}

/**
 * An immutable tree. Steps copy the node map (a partition holds few nodes) and never mutate a
 * tree the search may come back to.
 */
export interface ZkTree {
  readonly nodes: ReadonlyMap<string, ZkNode>;
  /**
   * Invariant: the XOR of nodeHash over every (path, node), in two 32-bit lanes. It is a
   * function of the set of nodes alone, so equal trees hash equally whatever order their
   * operations ran in, and a step updates it in O(changed nodes) instead of rehashing.
   */
  readonly hashLow: number;
  readonly hashHigh: number;
  /** hashLow, hashHigh and the node count as a string: what the search's cache keys on. */
  readonly hash: string;
}

export const ROOT = '/';
const SEQUENCE_DIGITS = 10;
/** ZooKeeper's versions are Java ints. */
const MAX_VERSION = 0x7fff_ffff;
/** TabKeeper refuses data over 1 MiB with BadArguments (core/tree/limits.ts, jute.maxbuffer). */
const MAX_DATA_BYTES = 1024 * 1024;

export const zkModel: Model<ZkTree, ZkInput, ZkOutput> = {
  init: initialTree,
  step: stepTree,
  equal: equalTrees,
  hash: (tree) => tree.hash,
  partition: partitionByTopLevelNode,
  describeOperation: describeZkOperation,
  describeState: describeTree,
};

const EMPTY_NODE: ZkNode = { data: '', version: 0, childCreates: 0, children: [] };

export function initialTree(): ZkTree {
  return withNodes(new Map([[ROOT, EMPTY_NODE]]), 0, 0, [], [[ROOT, EMPTY_NODE]]);
}

function stepTree(tree: ZkTree, input: ZkInput, output: ZkOutput): StepResult<ZkTree> {
  const outcome = decide(tree, input);
  if (output.kind === 'unknown') {
    // Linearized here, it did whatever the tree says; "never happened" is the same op
    // linearized after everything else, which its infinite return allows.
    return { ok: true, state: outcome.ok ? applyOutcome(tree, input, outcome) : tree };
  }
  if (output.kind === 'error') return { ok: !outcome.ok && outcome.error === output.error, state: tree };
  if (!outcome.ok || !resultMatches(input, outcome.result, output.result)) return { ok: false, state: tree };
  return { ok: true, state: applyOutcome(tree, input, outcome) };
}

/** What the tree answers to `input`; reads nothing but `tree` and changes nothing. */
export function decide(tree: ZkTree, input: ZkInput): ZkOutcome {
  if (badArguments(input)) return fail('BadArguments');
  const node = tree.nodes.get(input.path);
  switch (input.op) {
    case 'create':
      return decideCreate(tree, input.path, input.sequential);
    case 'delete': {
      if (input.path === ROOT) return fail('BadArguments');
      if (node === undefined || !tree.nodes.has(parentOf(input.path))) return fail('NoNode');
      if (!versionMatches(input.version, node.version)) return fail('BadVersion');
      if (node.children.length > 0) return fail('NotEmpty');
      return succeed(null);
    }
    case 'setData':
      if (node === undefined) return fail('NoNode');
      if (!versionMatches(input.version, node.version)) return fail('BadVersion');
      return succeed(node.version + 1);
    case 'getData':
      return node === undefined ? fail('NoNode') : succeed({ data: node.data, version: node.version });
    case 'exists':
      return succeed(node === undefined ? null : node.version);
    case 'getChildren':
      return node === undefined ? fail('NoNode') : succeed(node.children);
  }
}

function decideCreate(tree: ZkTree, path: string, sequential: boolean): ZkOutcome {
  // "/" already exists: ZooKeeper finds its parent ("") to be the root and answers NodeExists.
  if (path === ROOT && !sequential) return fail('NodeExists');
  const parent = tree.nodes.get(createParentOf(path));
  if (parent === undefined) return fail('NoNode');
  const name = sequential ? sequentialName(path, parent.childCreates) : path;
  if (tree.nodes.has(name)) return fail('NodeExists');
  return succeed(name);
}

function succeed(result: ZkResult): ZkOutcome {
  return { ok: true, result };
}

function fail(error: ZkErrorName): ZkOutcome {
  return { ok: false, error };
}

/** checkAndIncVersion: -1 matches any version. */
function versionMatches(expected: number, actual: number): boolean {
  return expected === -1 || expected === actual;
}

/** A successful write's effect; a read returns the tree itself. */
function applyOutcome(tree: ZkTree, input: ZkInput, outcome: ZkOutcome & { ok: true }): ZkTree {
  switch (input.op) {
    case 'create': {
      if (typeof outcome.result !== 'string') throw new Error(`create succeeded without a path: ${String(outcome.result)}`);
      const path = outcome.result;
      const parentPath = parentOf(path);
      const parent = requireNode(tree, parentPath);
      const name = path.slice(path.lastIndexOf('/') + 1);
      const newParent = { ...parent, childCreates: parent.childCreates + 1, children: [...parent.children, name].sort() };
      const node: ZkNode = { data: input.data, version: 0, childCreates: 0, children: [] };
      return replaceNodes(tree, [[parentPath, parent], [path, undefined]], [[parentPath, newParent], [path, node]]);
    }
    case 'delete': {
      const parentPath = parentOf(input.path);
      const parent = requireNode(tree, parentPath);
      const name = input.path.slice(input.path.lastIndexOf('/') + 1);
      const newParent = { ...parent, children: parent.children.filter((child) => child !== name) };
      const removed = requireNode(tree, input.path);
      return replaceNodes(tree, [[parentPath, parent], [input.path, removed]], [[parentPath, newParent], [input.path, undefined]]);
    }
    case 'setData': {
      const node = requireNode(tree, input.path);
      const changed = { ...node, data: input.data, version: node.version + 1 };
      return replaceNodes(tree, [[input.path, node]], [[input.path, changed]]);
    }
    case 'getData':
    case 'exists':
    case 'getChildren':
      return tree;
  }
}

function requireNode(tree: ZkTree, path: string): ZkNode {
  const node = tree.nodes.get(path);
  if (node === undefined) throw new Error(`the tree has no node ${JSON.stringify(path)} where a step needs one`);
  return node;
}

type NodeEntry = readonly [string, ZkNode | undefined];

/** A copy of `tree` where each path in `before` (with its node there, or undefined) becomes `after`'s. */
function replaceNodes(tree: ZkTree, before: readonly NodeEntry[], after: readonly NodeEntry[]): ZkTree {
  const nodes = new Map(tree.nodes);
  for (const [path, node] of after) {
    if (node === undefined) nodes.delete(path);
    else nodes.set(path, node);
  }
  return withNodes(nodes, tree.hashLow, tree.hashHigh, before, after);
}

function withNodes(nodes: Map<string, ZkNode>, low: number, high: number, removed: readonly NodeEntry[], added: readonly NodeEntry[]): ZkTree {
  let hashLow = low;
  let hashHigh = high;
  // XOR takes a node out of the hash as it put it in, so removed and added entries are alike.
  for (const entries of [removed, added]) {
    for (const [path, node] of entries) {
      if (node === undefined) continue;
      hashLow = (hashLow ^ nodeHash(path, node, 0x811c9dc5)) >>> 0;
      hashHigh = (hashHigh ^ nodeHash(path, node, 0x050c5d1f)) >>> 0;
    }
  }
  return { nodes, hashLow, hashHigh, hash: `${hashLow.toString(36)}.${hashHigh.toString(36)}.${nodes.size}` };
}

/** FNV-1a over the node's fields; the children are left out because the paths determine them. */
function nodeHash(path: string, node: ZkNode, seed: number): number {
  let hash = hashText(seed, path);
  hash = Math.imul(hash ^ node.version, 0x01000193);
  hash = Math.imul(hash ^ node.childCreates, 0x01000193);
  return hashText(hash, node.data) >>> 0;
}

function hashText(seed: number, text: string): number {
  let hash = seed;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  // A separator, so that the path "/ab" with data "" and "/a" with data "b" differ.
  return Math.imul(hash ^ 0xff, 0x01000193);
}

function equalTrees(a: ZkTree, b: ZkTree): boolean {
  if (a === b) return true;
  if (a.hashLow !== b.hashLow || a.hashHigh !== b.hashHigh || a.nodes.size !== b.nodes.size) return false;
  for (const [path, node] of a.nodes) {
    const other = b.nodes.get(path);
    if (other === undefined) return false;
    if (other.data !== node.data || other.version !== node.version || other.childCreates !== node.childCreates) return false;
  }
  return true;
}

function resultMatches(input: ZkInput, expected: ZkResult, observed: ZkResult): boolean {
  switch (input.op) {
    case 'create':
    case 'setData':
      return observed === null || observed === expected;
    case 'delete':
      return true;
    case 'exists':
      return observed === expected;
    case 'getData':
      return isDataResult(observed) && isDataResult(expected) && observed.data === expected.data && observed.version === expected.version;
    case 'getChildren':
      return Array.isArray(observed) && Array.isArray(expected) && sameNames(observed, expected);
  }
}

export function isDataResult(result: ZkResult | undefined): result is ZkDataResult {
  return typeof result === 'object' && result !== null && !Array.isArray(result);
}

/** Both sorted. */
function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name, index) => name === b[index]);
}

// ---- Paths --------------------------------------------------------------------------------

/** "/a/b" → "/a", "/a" → "/". */
export function parentOf(path: string): string {
  const lastSlash = path.lastIndexOf('/');
  return lastSlash <= 0 ? ROOT : path.slice(0, lastSlash);
}

/** The parent a create names before any suffix: "/a/" (a valid sequential prefix) → "/a". */
export function createParentOf(requestedPath: string): string {
  return parentOf(requestedPath);
}

/** ZooKeeper formats the suffix with "%010d". */
export function sequentialName(requestedPath: string, counter: number): string {
  return `${requestedPath}${String(counter).padStart(SEQUENCE_DIGITS, '0')}`;
}

/**
 * The arguments ZooKeeper refuses whatever the tree holds: a malformed path, a version that
 * is not a Java int >= -1, data over the size bound. A sequential create's path is checked with
 * a digit appended, as PathUtils.validatePath(path, isSequential) does, so "/a/" is a valid
 * prefix.
 */
export function badArguments(input: ZkInput): boolean {
  // Asked on every step of the search, for the same few inputs: validate each once.
  let bad = badArgumentsByInput.get(input);
  if (bad === undefined) {
    bad = checkArguments(input);
    badArgumentsByInput.set(input, bad);
  }
  return bad;
}

const badArgumentsByInput = new WeakMap<ZkInput, boolean>();

function checkArguments(input: ZkInput): boolean {
  const path = input.op === 'create' && input.sequential ? `${input.path}1` : input.path;
  if (!isValidPath(path)) return true;
  if ((input.op === 'setData' || input.op === 'delete') && !isValidVersion(input.version)) return true;
  if (input.op === 'create' || input.op === 'setData') return exceedsDataBound(input.data);
  return false;
}

function isValidVersion(version: number): boolean {
  return Number.isInteger(version) && version >= -1 && version <= MAX_VERSION;
}

/**
 * PathUtils.validatePath: absolute, no trailing slash (but the root), no empty, "." or ".."
 * node name, no NUL, none of the code units ZooKeeper refuses (C0 and C1 controls, U+D800 to
 * U+F8FF, U+FFF0 to U+FFFF). On UTF-16 code units, as Java's String.
 */
export function isValidPath(path: string): boolean {
  if (path.length === 0 || path[0] !== '/') return false;
  if (path === ROOT) return true;
  if (path.endsWith('/')) return false;
  for (const name of path.slice(1).split('/')) {
    if (name === '' || name === '.' || name === '..') return false;
  }
  for (let i = 0; i < path.length; i++) {
    const unit = path.charCodeAt(i);
    const refused =
      unit <= 0x1f || (unit >= 0x7f && unit <= 0x9f) || (unit >= 0xd800 && unit <= 0xf8ff) || unit >= 0xfff0;
    if (refused) return false;
  }
  return true;
}

function exceedsDataBound(text: string): boolean {
  // A code unit takes one to three UTF-8 bytes (a surrogate pair four, for two units).
  if (text.length * 3 <= MAX_DATA_BYTES) return false;
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    const pairs = unit >= 0xd800 && unit <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1));
    if (pairs) i++;
    bytes += unit < 0x80 ? 1 : unit < 0x800 ? 2 : pairs ? 4 : 3;
  }
  return bytes > MAX_DATA_BYTES;
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

// ---- Partitions ---------------------------------------------------------------------------

/**
 * Which part of the tree an operation can observe or change beyond its own top-level
 * subtree: true when it touches the root itself (its data, its children, or its sequential
 * counter, which every top-level create advances).
 */
export function couplesWholeTree(input: ZkInput): boolean {
  if (input.path === ROOT) return true;
  return input.op === 'create' && input.sequential && createParentOf(input.path) === ROOT;
}

/** "/a/b/c" → "/a"; a path that is not absolute is its own key (it can only be BadArguments). */
export function topLevelKey(path: string): string {
  if (!path.startsWith('/')) return path;
  const second = path.indexOf('/', 1);
  return second === -1 ? path : path.slice(0, second);
}

/**
 * Splits by top-level node: "/a" and everything below it share a partition. Operations on
 * different top-level subtrees see disjoint nodes, and the one thing they share, the root's
 * children and counter, no operation observes unless it couplesWholeTree; then the whole
 * history is one partition.
 */
export function partitionByTopLevelNode<Output>(
  operations: readonly Operation<ZkInput, Output>[],
): Operation<ZkInput, Output>[][] {
  if (operations.length === 0) return [];
  if (operations.some((operation) => couplesWholeTree(operation.input))) return [[...operations]];
  const byKey = new Map<string, Operation<ZkInput, Output>[]>();
  for (const operation of operations) {
    const key = topLevelKey(operation.input.path);
    const group = byKey.get(key);
    if (group === undefined) byKey.set(key, [operation]);
    else group.push(operation);
  }
  return [...byKey.values()];
}

/** The name of the partition `operations` (one of partitionByTopLevelNode's groups) forms. */
export function partitionName(operations: readonly Operation<ZkInput, unknown>[]): string {
  const first = operations[0];
  if (first === undefined) throw new Error('an empty partition has no name');
  if (operations.some((operation) => couplesWholeTree(operation.input))) return ROOT;
  return topLevelKey(first.input.path);
}

// ---- Footprints --------------------------------------------------------------------------

/**
 * The parts of the tree an operation may read or write, whatever its outcome, as field keys:
 * `E:p` node p's existence, data and version; `C:p` its children; `N:p` its sequential
 * counter; `*:p` any field of any child of p (a sequential create's name is not known in
 * advance). Every effect a write has on a field depends only on that field and on fields it
 * reads (create adds to C of the parent, setData bumps E), which is what lets zk-window.ts
 * leave out writes whose fields no remaining operation reads.
 */
export interface ZkFootprint {
  readonly reads: readonly string[];
  readonly writes: readonly string[];
}

const NO_FOOTPRINT: ZkFootprint = { reads: [], writes: [] };

export function footprintOf(input: ZkInput): ZkFootprint {
  // These answers do not depend on the tree, and the operations change nothing.
  if (badArguments(input)) return NO_FOOTPRINT;
  const path = input.path;
  switch (input.op) {
    case 'create': {
      if (path === ROOT && !input.sequential) return NO_FOOTPRINT;
      const parent = createParentOf(path);
      if (input.sequential) return { reads: [`E:${parent}`, `N:${parent}`, `*:${parent}`], writes: [`*:${parent}`, `C:${parent}`, `N:${parent}`] };
      return { reads: [`E:${parent}`, `E:${path}`], writes: [`E:${path}`, `C:${path}`, `N:${path}`, `C:${parent}`, `N:${parent}`] };
    }
    case 'delete': {
      if (path === ROOT) return NO_FOOTPRINT;
      const parent = parentOf(path);
      return { reads: [`E:${parent}`, `E:${path}`, `C:${path}`], writes: [`E:${path}`, `C:${path}`, `N:${path}`, `C:${parent}`] };
    }
    case 'setData':
      return { reads: [`E:${path}`], writes: [`E:${path}`] };
    case 'getData':
    case 'exists':
      return { reads: [`E:${path}`], writes: [] };
    case 'getChildren':
      return { reads: [`E:${path}`, `C:${path}`], writes: [] };
  }
}

/** A growing set of fields read, asked whether a written field is among them. */
export class FieldSet {
  private readonly fields = new Set<string>();
  /** Nodes some field of a child of which is in the set: what a `*:p` write meets. */
  private readonly parentsOfFields = new Set<string>();

  add(field: string): void {
    this.fields.add(field);
    const path = field.slice(2);
    if (!field.startsWith('*:') && path !== ROOT) this.parentsOfFields.add(parentOf(path));
  }

  overlaps(field: string): boolean {
    if (this.fields.has(field)) return true;
    const path = field.slice(2);
    if (field.startsWith('*:')) return this.parentsOfFields.has(path);
    return path !== ROOT && this.fields.has(`*:${parentOf(path)}`);
  }
}

// ---- Descriptions -------------------------------------------------------------------------

export function describeInput(input: ZkInput): string {
  switch (input.op) {
    case 'create':
      return `create ${input.path} ${JSON.stringify(input.data)}${input.sequential ? ' sequential' : ''}`;
    case 'setData':
      return `setData ${input.path} ${JSON.stringify(input.data)} ${describeExpectedVersion(input.version)}`;
    case 'delete':
      return `delete ${input.path} ${describeExpectedVersion(input.version)}`;
    case 'getData':
    case 'exists':
    case 'getChildren':
      return `${input.op} ${input.path}`;
  }
}

function describeExpectedVersion(version: number): string {
  return version === -1 ? 'any version' : `version ${version}`;
}

export function describeOutcome(op: ZkOpName, outcome: ZkOutcome): string {
  return outcome.ok ? describeResult(op, outcome.result) : outcome.error;
}

export function describeResult(op: ZkOpName, result: ZkResult): string {
  if (op === 'delete' || (result === null && op !== 'exists')) return 'ok';
  if (op === 'exists') return result === null ? 'absent' : `version ${String(result)}`;
  if (op === 'setData') return `version ${String(result)}`;
  if (isDataResult(result)) return `${JSON.stringify(result.data)} version ${result.version}`;
  if (Array.isArray(result)) return `[${result.join(', ')}]`;
  return JSON.stringify(result);
}

export function describeOutput(op: ZkOpName, output: ZkOutput): string {
  if (output.kind === 'unknown') return 'outcome unknown';
  return output.kind === 'error' ? output.error : describeResult(op, output.result);
}

function describeZkOperation(input: ZkInput, output: ZkOutput): string {
  return `${describeInput(input)} -> ${describeOutput(input.op, output)}`;
}

/** Every node but an untouched root, by path: `/a="x" v1 seq 2`. */
export function describeTree(tree: ZkTree): string {
  const lines: string[] = [];
  for (const path of [...tree.nodes.keys()].sort()) {
    const node = requireNode(tree, path);
    if (path === ROOT && node.version === 0 && node.childCreates === 0) continue;
    const counter = node.childCreates > 0 ? ` seq ${node.childCreates}` : '';
    lines.push(`${path}=${JSON.stringify(node.data)} v${node.version}${counter}`);
  }
  return lines.length === 0 ? 'empty tree' : lines.join(', ');
}
