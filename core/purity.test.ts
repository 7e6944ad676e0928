import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sourceFiles } from './testing/source-files.ts';

/**
 * core/ is a pure state machine: no timers, clocks or randomness of its own (they would make the
 * simulator non-deterministic), no DOM and no Node APIs (it must run in a tab and in Node), and
 * no imports from outside core/. docs/ARCHITECTURE.md explains why; core/layers.test.ts checks the imports between folders.
 */
const CORE = new URL('.', import.meta.url).pathname;


const FORBIDDEN: readonly [RegExp, string][] = [
  [/\bDate\.now\s*\(/, 'Date.now: time comes from the Clock or from ticks'],
  [/\bnew Date\s*\(/, 'new Date: time comes from the Clock or from ticks'],
  [/\bMath\.random\s*\(/, 'Math.random: randomness is an injected, seeded PRNG'],
  [/\b(setTimeout|setInterval|setImmediate|queueMicrotask)\s*\(/, 'timers: only the driver sets timers, through the Clock'],
  [/\bperformance\.now\s*\(/, 'performance.now: time comes from the Clock'],
  [/\b(document|localStorage|sessionStorage|indexedDB|navigator)\.|\bwindow\.(addEventListener|location|crypto)/, 'DOM globals: core/ runs in Node too'],
  [/\bprocess\.|\brequire\s*\(/, 'Node globals: core/ runs in a tab too'],
  [/from ['"]node:/, 'Node modules: core/ runs in a tab too'],
];

describe('core/ purity', () => {
  // Tests and test helpers (testing/) run in Node only: they may use its APIs.
  const files = sourceFiles(CORE, { names: /\.ts$/ });

  it('finds the sources it checks', () => {
    expect(files.length).toBeGreaterThan(30);
  });

  it('uses no clock, timer, randomness, DOM or Node API of its own', () => {
    const violations: string[] = [];
    for (const file of files) {
      const lines = readFileSync(file, 'utf8').split('\n');
      lines.forEach((line, index) => {
        const code = line.replace(/\/\/.*$/, '').replace(/^\s*\*.*$/, '');
        for (const [pattern, why] of FORBIDDEN) if (pattern.test(code)) violations.push(`${relative(CORE, file)}:${index + 1}: ${why}`);
      });
    }
    expect(violations).toEqual([]);
  });

  it('imports nothing from outside core/ but valibot', () => {
    const violations: string[] = [];
    for (const file of files) {
      for (const [, target] of readFileSync(file, 'utf8').matchAll(/from ['"]([^'"]+)['"]/g)) {
        if (target === 'valibot') continue;
        const resolved = target!.startsWith('.') ? join(file, '..', target!) : target!;
        if (!resolved.startsWith(CORE.replace(/\/$/, ''))) violations.push(`${relative(CORE, file)} imports ${target}`);
      }
    }
    expect(violations).toEqual([]);
  });
});
