import { describe, expect, it } from 'vitest';
import { childPath, createParentPath, parentPath, sequentialPath, validateCreatePath, validatePath } from './paths.ts';

// Goal: paths follow ZooKeeper's PathUtils.validatePath rule for rule. Method: the cases of
// ZooKeeper's own PathUtilsTest (3.8), plus the edge cases of the "." and ".." rules.
describe('validatePath (ZooKeeper PathUtils.validatePath)', () => {
  const valid: readonly [string, string][] = [
    ['the root', '/'],
    ['a plain name', '/a'],
    ['nested names', '/a/b/c'],
    ['spaces (PathUtilsTest)', '/this is / a valid/path'],
    ['a name containing periods (PathUtilsTest)', '/name/with.period.'],
    ['a name starting with a period', '/.hidden'],
    ['three periods', '/...'],
    ['a name ending with two periods', '/a..'],
    ['two periods then more', '/..a'],
    ['space 0x20 (PathUtilsTest)', '/test\u0020'],
    ['tilde 0x7e (PathUtilsTest)', '/test\u007e'],
    ['U+00A0, just after the C1 controls', '/test\u00a0'],
    ['U+F900, just after private use', '/test\uf900'],
    ['U+FFEF, the highest allowed (PathUtilsTest)', '/test\uffef'],
    ['non-ASCII letters', '/zürich/東京'],
  ];
  const invalid: readonly [string, string, RegExp][] = [
    ['empty (PathUtilsTest)', '', /length must be > 0/],
    ['relative (PathUtilsTest)', 'not/valid', /must start with \//],
    ['trailing slash (PathUtilsTest)', '/ends/with/slash/', /must not end with \//],
    ['NUL (PathUtilsTest)', '/test\u0000', /null character/],
    ['double slash (PathUtilsTest)', '/double//slash', /empty node name/],
    ['"." node (PathUtilsTest)', '/single/./period', /relative paths/],
    ['".." node (PathUtilsTest)', '/double/../period', /relative paths/],
    ['"." at the end', '/a/.', /relative paths/],
    ['".." at the end', '/a/..', /relative paths/],
    ['"." as the first name', '/.', /relative paths/],
    ['".." as the first name', '/..', /relative paths/],
    ['0x01 (PathUtilsTest)', '/test\u0001', /invalid character/],
    ['0x1F (PathUtilsTest)', '/test\u001f', /invalid character/],
    ['0x7F (PathUtilsTest)', '/test\u007f', /invalid character/],
    ['0x9F (PathUtilsTest)', '/test\u009f', /invalid character/],
    ['U+D800 (PathUtilsTest)', '/test\ud800', /invalid character/],
    ['U+F8FF (PathUtilsTest)', '/test\uf8ff', /invalid character/],
    ['U+FFF0 (PathUtilsTest)', '/test\ufff0', /invalid character/],
    ['an emoji: a surrogate pair', '/test\u{1f600}', /invalid character/],
    ['a tab', '/a\tb', /invalid character/],
  ];

  it.each(valid)('accepts %s', (_name, path) => {
    expect(validatePath(path)).toBeNull();
  });

  it.each(invalid)('refuses %s', (_name, path, reason) => {
    expect(validatePath(path)).toMatch(reason);
  });

  it('checks a sequential create path with a digit appended, so a trailing slash is a valid prefix', () => {
    expect(validateCreatePath('/locks/', true)).toBeNull();
    expect(validateCreatePath('/', true)).toBeNull();
    expect(validateCreatePath('/locks/', false)).toMatch(/must not end with/);
    expect(validateCreatePath('/locks//', true)).toMatch(/empty node name/);
    expect(validateCreatePath('/locks/.', true)).toBeNull(); // "/locks/.1" is a valid name
  });
});

describe('path naming', () => {
  it('finds parents and children', () => {
    expect(parentPath('/a')).toBe('/');
    expect(parentPath('/a/b/c')).toBe('/a/b');
    expect(() => parentPath('/')).toThrow(/no parent/);
    expect(createParentPath('/')).toBe('/');
    expect(createParentPath('/a/')).toBe('/a');
    expect(createParentPath('/a/lock-')).toBe('/a');
    expect(childPath('/', 'a')).toBe('/a');
    expect(childPath('/a', 'b')).toBe('/a/b');
  });

  it('formats the sequential suffix as %010d', () => {
    expect(sequentialPath('/q/item-', 0)).toBe('/q/item-0000000000');
    expect(sequentialPath('/q/', 42)).toBe('/q/0000000042');
    expect(sequentialPath('/q/', 12345678901)).toBe('/q/12345678901');
  });
});
