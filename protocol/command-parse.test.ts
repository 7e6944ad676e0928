import { describe, expect, test } from 'vitest';
import { parseLine, parseScript, tokenize } from './command-parse.ts';

// Goal: every operation form parses to the gateway op the tab runs; quoting, escapes and
// comments behave as a shell user expects; every bad line is refused with `line N: …`.
describe('parseLine: every operation form', () => {
  test.each([
    ['create /a hello', { op: 'create', path: '/a', data: 'hello', ephemeral: false, sequential: false }],
    ['create /a', { op: 'create', path: '/a', data: '', ephemeral: false, sequential: false }],
    ['create -e /a x', { op: 'create', path: '/a', data: 'x', ephemeral: true, sequential: false }],
    ['create -s /a/ x', { op: 'create', path: '/a/', data: 'x', ephemeral: false, sequential: true }],
    ['create -e -s /a/n- x', { op: 'create', path: '/a/n-', data: 'x', ephemeral: true, sequential: true }],
    ['create -es /q/ x', { op: 'create', path: '/q/', data: 'x', ephemeral: true, sequential: true }],
    ['create /a -e', { op: 'create', path: '/a', data: '-e', ephemeral: false, sequential: false }],
    ['get /a/b', { op: 'get', path: '/a/b' }],
    ['set /a data', { op: 'set', path: '/a', data: 'data', version: -1 }],
    ['set /a data 3', { op: 'set', path: '/a', data: 'data', version: 3 }],
    ['set /a "" -1', { op: 'set', path: '/a', data: '', version: -1 }],
    ['delete /a', { op: 'delete', path: '/a', version: -1 }],
    ['delete /a 0', { op: 'delete', path: '/a', version: 0 }],
    ['ls /', { op: 'ls', path: '/' }],
    ['stat /a', { op: 'stat', path: '/a' }],
    ['sync /a', { op: 'sync', path: '/a' }],
    ['exists /a', { op: 'exists', path: '/a' }],
    ['  get   /a   ', { op: 'get', path: '/a' }],
    ['\tget\t/a', { op: 'get', path: '/a' }],
  ])('%j', (line, op) => {
    expect(parseLine(line, 1)).toEqual({ kind: 'op', op });
  });
});

describe('tokenize: quoting, escapes, comments', () => {
  test.each([
    ['set /a "two words"', ['set', '/a', 'two words']],
    ["set /a 'two words'", ['set', '/a', 'two words']],
    ['set /a "say \\"hi\\""', ['set', '/a', 'say "hi"']],
    ['set /a "tab\\there\\nline"', ['set', '/a', 'tab\there\nline']],
    ["set /a 'no \\n escapes'", ['set', '/a', 'no \\n escapes']],
    ['set /a two\\ words', ['set', '/a', 'two words']],
    ['set /a "a"\'b\'c', ['set', '/a', 'abc']],
    ['set /a ""', ['set', '/a', '']],
    ['get /a # trailing comment', ['get', '/a']],
    ['set /a "# not a comment"', ['set', '/a', '# not a comment']],
    ['set /a x\\#y', ['set', '/a', 'x#y']],
    ['# only a comment', []],
    ['', []],
    ['   ', []],
  ])('%j', (line, tokens) => {
    expect(tokenize(line)).toEqual(tokens);
  });
});

describe('bad lines are refused with their line number', () => {
  test.each([
    ['frobnicate /a', "line 7: unknown operation 'frobnicate' (expected create, get, set, delete, ls, stat, sync, exists)"],
    ['GET /a', "line 7: unknown operation 'GET'"],
    ['get', 'line 7: get needs a path: get /path'],
    ['get /a /b', 'line 7: get takes only a path, got 2 arguments: get /path'],
    ['create', 'line 7: create needs a path'],
    ['create -x /a', "line 7: unknown flag '-x' for create (expected -e, -s)"],
    ['create /a two words', 'line 7: create takes one data argument, got 2 (quote data with spaces)'],
    ['set /a', 'line 7: set takes a path, data and an optional version'],
    ['set /a hello world', "line 7: version must be an integer from -1 (any) to 2147483647, got 'world' (quote data with spaces"],
    ['set /a x 1.5', "line 7: version must be an integer from -1 (any) to 2147483647, got '1.5'"],
    ['set /a x -2', "line 7: version must be an integer from -1 (any) to 2147483647, got '-2'"],
    ['set /a x 2147483648', 'line 7: version must be an integer'],
    ['delete /a x', "line 7: version must be an integer from -1 (any) to 2147483647, got 'x'"],
    ['delete /a 1 2', 'line 7: delete takes a path and an optional version'],
    ['set /a "unclosed', 'line 7: unterminated double quote (opened at column 8)'],
    ["set /a 'unclosed", 'line 7: unterminated single quote (opened at column 8)'],
    ['set /a "bad \\q escape"', 'line 7: unknown escape \\q in double quotes'],
    ['set /a x\\', 'line 7: a backslash ends the line'],
    [`set /a ${'d'.repeat(70_000)}`, 'line 7: data is longer than 61440 characters'],
  ])('%j', (line, message) => {
    const result = parseLine(line, 7);
    expect(result.kind).toBe('error');
    if (result.kind === 'error') expect(result.message.startsWith(message)).toBe(true);
  });
});

describe('a well-formed line with an invalid path is a request ZooKeeper rejects, not a bad line', () => {
  test.each([
    // ZooKeeper's own messages (PathUtils.validatePath): one path rule everywhere (core/tree/paths.ts).
    ['get a', 'get', "path must start with / character: 'a'"],
    ['get /a/', 'get', "path must not end with / character: '/a/'"],
    ['get /a//b', 'get', 'invalid path string "/a//b" caused by empty node name specified @3'],
    ['ls /a/../b', 'ls', 'invalid path string "/a/../b" caused by relative paths not allowed @4'],
    ['create /a/ x', 'create', "path must not end with / character: '/a/'"],
    ['delete /a//b 3', 'delete', 'invalid path string "/a//b" caused by empty node name specified @3'],
    ['get /a\u0001', 'get', 'invalid path string "/a\\u0001" caused by invalid character @2'],
    ['get /\ud800', 'get', 'invalid path string "/\\ud800" caused by invalid character @1'],
  ])('%j', (line, op, problem) => {
    const result = parseLine(line, 7);
    expect(result).toMatchObject({ kind: 'op', op: { op }, problem });
  });

  test('a sequential create may end in / (the suffix follows); syntax errors still win over the path', () => {
    expect(parseLine('create -s /a/ x', 1)).toEqual({ kind: 'op', op: { op: 'create', path: '/a/', data: 'x', ephemeral: false, sequential: true } });
    expect(parseLine('set a', 1)).toMatchObject({ kind: 'error', message: 'line 1: set takes a path, data and an optional version: set /path data [version]' });
  });
});

describe('parseScript', () => {
  test('keeps the line number of every operation and skips blanks and comments', () => {
    const script = parseScript('# setup\ncreate /a 1\n\n  # indented comment\nget /a\r\nls /\n');
    expect(script.errors).toEqual([]);
    expect(script.lines.map((line) => [line.line, line.op.op])).toEqual([
      [2, 'create'],
      [5, 'get'],
      [6, 'ls'],
    ]);
  });

  test('reports every bad line, not only the first', () => {
    const script = parseScript('get /a\nget a\nfoo\nset /a "x\n');
    expect(script.lines.map((line) => [line.line, line.problem])).toEqual([
      [1, undefined],
      [2, "path must start with / character: 'a'"],
    ]);
    expect(script.errors).toEqual([
      "line 3: unknown operation 'foo' (expected create, get, set, delete, ls, stat, sync, exists)",
      'line 4: unterminated double quote (opened at column 8)',
    ]);
  });
});
