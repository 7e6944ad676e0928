import { ANY_VERSION, GATEWAY_OP_NAMES, MAX_DATA_LENGTH, pathProblem, type GatewayOp, type GatewayOpName } from './gateway-ops.ts';

/**
 * The CLI's line parser, pure: one operation per line.
 *
 *   create [-e] [-s] /path [data]     -e ephemeral, -s sequential (also -es)
 *   get /path                         set /path data [version]
 *   delete /path [version]            ls | stat | sync | exists /path
 *
 * Tokens are split on blanks. "double quotes" allow \" \\ \n \t \r \' escapes; 'single quotes'
 * are literal; outside quotes a backslash makes the next character literal; quoted parts next to
 * each other join into one token ("a"'b' is ab). `#` outside quotes starts a comment. A version
 * is an integer from -1 (any version) to 2^31-1. Errors read `line N: …`.
 *
 * A well-formed line whose path is not a valid znode path is not a bad line: as ZooKeeper's
 * client rejects that one request (BadArguments, never sent) and goes on with the next, the op
 * carries the `problem` and the CLI answers it BadArguments. Bad lines are the CLI's own syntax
 * (unknown operation, quoting, arguments, versions) and refuse the whole file.
 */

export type LineResult =
  /** `problem`: why ZooKeeper's client would reject this request (BadArguments) rather than send it. */
  | { readonly kind: 'op'; readonly op: GatewayOp; readonly problem?: string }
  | { readonly kind: 'blank' }
  | { readonly kind: 'error'; readonly message: string };

export interface ScriptLine {
  readonly line: number;
  readonly op: GatewayOp;
  readonly problem?: string;
}

export interface Script {
  readonly lines: ScriptLine[];
  readonly errors: string[];
}

const MAX_VERSION = 2 ** 31 - 1;
const USAGE: Readonly<Record<GatewayOpName, string>> = {
  create: 'create [-e] [-s] /path [data]',
  get: 'get /path',
  set: 'set /path data [version]',
  delete: 'delete /path [version]',
  ls: 'ls /path',
  stat: 'stat /path',
  sync: 'sync /path',
  exists: 'exists /path',
};

/** Parses a whole operations file; every bad line is reported, not only the first. */
export function parseScript(text: string): Script {
  const lines: ScriptLine[] = [];
  const errors: string[] = [];
  text.split(/\r?\n/).forEach((source, index) => {
    const result = parseLine(source, index + 1);
    if (result.kind === 'op') lines.push({ line: index + 1, op: result.op, ...(result.problem === undefined ? {} : { problem: result.problem }) });
    if (result.kind === 'error') errors.push(result.message);
  });
  return { lines, errors };
}

export function parseLine(source: string, line: number): LineResult {
  const tokens = tokenize(source);
  if (!Array.isArray(tokens)) return { kind: 'error', message: `line ${line}: ${tokens.error}` };
  if (tokens.length === 0) return { kind: 'blank' };
  const result = operationOf(tokens);
  if (typeof result === 'string') return { kind: 'error', message: `line ${line}: ${result}` };
  const problem = pathProblem(result.path, result.op === 'create' && result.sequential);
  if (problem === null) return { kind: 'op', op: result };
  // ZooKeeper's messages about a character name the path already; the others get it appended.
  return { kind: 'op', op: result, problem: problem.includes(JSON.stringify(result.path)) ? problem : `${problem}: '${result.path}'` };
}

/** Splits a line into tokens, or says why it cannot. */
export function tokenize(source: string): string[] | { error: string } {
  const tokens: string[] = [];
  let current = '';
  let started = false;
  let index = 0;
  const finish = () => {
    if (started) tokens.push(current);
    current = '';
    started = false;
  };
  while (index < source.length) {
    const char = source[index]!;
    if (char === '#') break;
    if (char === ' ' || char === '\t') {
      finish();
      index += 1;
    } else if (char === '"' || char === "'") {
      const quoted = char === '"' ? readDoubleQuoted(source, index + 1) : readSingleQuoted(source, index + 1);
      if ('error' in quoted) return quoted;
      current += quoted.text;
      started = true;
      index = quoted.end;
    } else if (char === '\\') {
      if (index + 1 >= source.length) return { error: 'a backslash ends the line (nothing to escape)' };
      current += source[index + 1];
      started = true;
      index += 2;
    } else {
      current += char;
      started = true;
      index += 1;
    }
  }
  finish();
  return tokens;
}

const DOUBLE_QUOTE_ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', "'": "'", n: '\n', t: '\t', r: '\r' };

function readDoubleQuoted(source: string, start: number): { text: string; end: number } | { error: string } {
  let text = '';
  for (let index = start; index < source.length; index++) {
    const char = source[index]!;
    if (char === '"') return { text, end: index + 1 };
    if (char !== '\\') {
      text += char;
      continue;
    }
    const next = source[index + 1];
    const escaped = next === undefined ? undefined : DOUBLE_QUOTE_ESCAPES[next];
    if (escaped === undefined) return { error: `unknown escape \\${next ?? ''} in double quotes (use \\" \\\\ \\n \\t \\r)` };
    text += escaped;
    index += 1;
  }
  return { error: `unterminated double quote (opened at column ${start})` };
}

function readSingleQuoted(source: string, start: number): { text: string; end: number } | { error: string } {
  const end = source.indexOf("'", start);
  if (end === -1) return { error: `unterminated single quote (opened at column ${start})` };
  return { text: source.slice(start, end), end: end + 1 };
}

function operationOf(tokens: string[]): GatewayOp | string {
  const [name, ...args] = tokens as [string, ...string[]];
  const op = GATEWAY_OP_NAMES.find((candidate) => candidate === name);
  if (op === undefined) return `unknown operation '${name}' (expected ${GATEWAY_OP_NAMES.join(', ')})`;
  if (op === 'create') return createOf(args);
  const path = args[0];
  if (path === undefined) return `${op} needs a path: ${USAGE[op]}`;
  switch (op) {
    case 'set': {
      if (args.length < 2 || args.length > 3) return `set takes a path, data and an optional version: ${USAGE.set}`;
      const data = dataOf(args[1]!);
      if (typeof data !== 'string') return data.error;
      const version = versionOf(args[2]);
      if (typeof version === 'number') return { op, path, data, version };
      return /^-?\d+$/.test(args[2] ?? '') ? version : `${version} (quote data with spaces: set /path "two words")`;
    }
    case 'delete': {
      if (args.length > 2) return `delete takes a path and an optional version: ${USAGE.delete}`;
      const version = versionOf(args[1]);
      return typeof version === 'number' ? { op, path, version } : version;
    }
    default:
      if (args.length > 1) return `${op} takes only a path, got ${args.length} arguments: ${USAGE[op]}`;
      return { op, path };
  }
}

function createOf(args: string[]): GatewayOp | string {
  let ephemeral = false;
  let sequential = false;
  let index = 0;
  for (; index < args.length && args[index]!.startsWith('-'); index++) {
    const flags = args[index]!.slice(1);
    if (flags === '' || /[^es]/.test(flags)) return `unknown flag '${args[index]}' for create (expected -e, -s): ${USAGE.create}`;
    ephemeral ||= flags.includes('e');
    sequential ||= flags.includes('s');
  }
  const path = args[index];
  if (path === undefined) return `create needs a path: ${USAGE.create}`;
  const rest = args.slice(index + 1);
  if (rest.length > 1) return `create takes one data argument, got ${rest.length} (quote data with spaces): ${USAGE.create}`;
  const data = dataOf(rest[0] ?? '');
  if (typeof data !== 'string') return data.error;
  return { op: 'create', path, data, ephemeral, sequential };
}

function dataOf(text: string): string | { error: string } {
  if (text.length > MAX_DATA_LENGTH) return { error: `data is longer than ${MAX_DATA_LENGTH} characters` };
  return text;
}

function versionOf(text: string | undefined): number | string {
  if (text === undefined) return ANY_VERSION;
  const value = /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(value) || value < ANY_VERSION || value > MAX_VERSION) {
    return `version must be an integer from -1 (any) to ${MAX_VERSION}, got '${text}'`;
  }
  return value;
}
