import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatScript, parseScript, ScriptRunner } from './script.ts';

/**
 * Runs every script in core/testdata/ and compares each command's output with the golden one.
 * `REWRITE=1` writes the actual output back instead (review the diff before committing it).
 */
const TESTDATA = new URL('../testdata/', import.meta.url).pathname;

describe('scenario scripts (core/testdata)', () => {
  for (const file of readdirSync(TESTDATA).filter((name) => name.endsWith('.txt')).sort()) {
    it(file, async () => {
      const path = join(TESTDATA, file);
      const blocks = parseScript(readFileSync(path, 'utf8'));
      const runner = new ScriptRunner();
      const outputs: string[] = [];
      for (const block of blocks) outputs.push(await runner.run(block.command));
      if (process.env['REWRITE'] === '1') {
        writeFileSync(path, formatScript(blocks, outputs));
        return;
      }
      blocks.forEach((block, index) => expect(outputs[index], `${file}: ${block.command}`).toBe(block.expected));
    });
  }
});
