import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sourceFiles } from '../../core/testing/source-files.ts';

// The app replays simulator traces by reading the trace file (core/trace-format.ts); it must not
// bundle the simulator. Every import of the browser app is checked, Svelte components included.
const APP = new URL('..', import.meta.url).pathname;

describe('client-app', () => {
  it('imports nothing from the simulator (core/sim/)', () => {
    const violations: string[] = [];
    for (const file of sourceFiles(APP)) {
      for (const match of readFileSync(file, 'utf8').matchAll(/(?:import|from)\s*\(?\s*['"]([^'"]+)['"]/g)) {
        if (/(^|\/)core\/sim\//.test(match[1]!)) violations.push(`${relative(APP, file)} imports ${match[1]}`);
      }
    }
    expect(violations).toEqual([]);
  });
});
