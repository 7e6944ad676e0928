import { assert } from '../assert.ts';
import { MAX_PATH_LENGTH } from './limits.ts';

export const ROOT_PATH = '/';

/** ZooKeeper formats the sequential suffix with "%010d". */
const SEQUENCE_DIGITS = 10;

const SLASH = 0x2f;
const DOT = 0x2e;

/**
 * ZooKeeper's PathUtils.validatePath, rule for rule: absolute, no trailing slash (except the root),
 * no empty node name, no "." or ".." node name, no NUL, and none of the code units ZooKeeper
 * refuses (C0 and C1 controls, surrogates and private use U+D800–U+F8FF, U+FFF0–U+FFFF). Works on
 * UTF-16 code units, as Java's String does. Returns why the path is invalid, or null.
 */
export function validatePath(path: string): string | null {
  if (path.length === 0) return 'path length must be > 0';
  if (path.charCodeAt(0) !== SLASH) return 'path must start with / character';
  if (path.length === 1) return null; // the root
  if (path.charCodeAt(path.length - 1) === SLASH) return 'path must not end with / character';
  let last = SLASH;
  for (let i = 1; i < path.length; last = path.charCodeAt(i), i++) {
    const reason = invalidCodeUnitReason(path, i, last);
    if (reason !== null) return `invalid path string ${JSON.stringify(path)} caused by ${reason} @${i}`;
  }
  return null;
}

function invalidCodeUnitReason(path: string, i: number, last: number): string | null {
  const unit = path.charCodeAt(i);
  const endsName = i + 1 === path.length || path.charCodeAt(i + 1) === SLASH;
  if (unit === 0) return 'null character not allowed';
  if (unit === SLASH && last === SLASH) return 'empty node name specified';
  if (unit === DOT && last === DOT) return path.charCodeAt(i - 2) === SLASH && endsName ? 'relative paths not allowed' : null;
  if (unit === DOT) return path.charCodeAt(i - 1) === SLASH && endsName ? 'relative paths not allowed' : null;
  const refused =
    (unit > 0x00 && unit <= 0x1f) ||
    (unit >= 0x7f && unit <= 0x9f) ||
    (unit >= 0xd800 && unit <= 0xf8ff) ||
    (unit >= 0xfff0 && unit <= 0xffff);
  return refused ? 'invalid character' : null;
}

/**
 * The client-side check of a create path (PathUtils.validatePath(path, isSequential)): a
 * sequential path is checked with a digit appended, so "/locks/" is a valid sequential prefix.
 */
export function validateCreatePath(path: string, sequential: boolean): string | null {
  return validatePath(sequential ? `${path}1` : path);
}

/**
 * Why `path` cannot name a znode, or null: TabKeeper's bound on a path's length (limits.ts),
 * then ZooKeeper's rules (validatePath; for a sequential create, validateCreatePath). The one
 * path check of every layer: the data tree's requests, the gateway ops of the CLI and the page
 * (protocol/gateway-ops.ts re-exports it) and the ZooKeeper listener's tab ops.
 */
export function pathProblem(path: string, sequential = false): string | null {
  if (path.length > MAX_PATH_LENGTH) return `path is longer than ${MAX_PATH_LENGTH} characters`;
  return sequential ? validateCreatePath(path, true) : validatePath(path);
}

/** "/a/b" → "/a", "/a" → "/". The root has no parent. */
export function parentPath(path: string): string {
  assert(path !== ROOT_PATH, 'the root has no parent');
  const lastSlash = path.lastIndexOf('/');
  assert(lastSlash >= 0, () => `not an absolute path: ${JSON.stringify(path)}`);
  return lastSlash === 0 ? ROOT_PATH : path.slice(0, lastSlash);
}

/**
 * The parent a create names, before any sequential suffix: what precedes the last slash, as
 * PrepRequestProcessor.validatePathForCreate. Unlike parentPath it accepts "/" and "/a/", which are
 * valid sequential prefixes (their parents are "/" and "/a").
 */
export function createParentPath(requestedPath: string): string {
  const lastSlash = requestedPath.lastIndexOf('/');
  assert(lastSlash >= 0, () => `not an absolute path: ${JSON.stringify(requestedPath)}`);
  return lastSlash === 0 ? ROOT_PATH : requestedPath.slice(0, lastSlash);
}

/** "/a/b" → "b". */
export function childName(path: string): string {
  assert(path !== ROOT_PATH, 'the root has no name');
  return path.slice(path.lastIndexOf('/') + 1);
}

/** "/a" + "b" → "/a/b", "/" + "b" → "/b". */
export function childPath(parent: string, name: string): string {
  return parent === ROOT_PATH ? `/${name}` : `${parent}/${name}`;
}

/** The name a sequential create gets: the requested path and the parent's counter, "%010d". */
export function sequentialPath(requestedPath: string, counter: number): string {
  assert(Number.isInteger(counter) && counter >= 0, () => `bad sequence counter ${counter}`);
  return `${requestedPath}${String(counter).padStart(SEQUENCE_DIGITS, '0')}`;
}
