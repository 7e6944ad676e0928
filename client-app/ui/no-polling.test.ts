import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sourceFiles } from '../../core/testing/source-files.ts';

// The views update from the tab's events (client-app/app/tab-events.ts), never by polling: a
// timer that re-reads the tree or the status on a period would cost the write path whether or
// not anything changed (the 200 ms refresh that stringified the whole tree did).
const APP = new URL('..', import.meta.url).pathname;

describe('the views', () => {
  it('start no periodic timer', () => {
    const files = [...sourceFiles(join(APP, 'ui')), join(APP, 'App.svelte'), join(APP, 'main.ts')];
    const found = files.flatMap((file) => (/\bsetInterval\s*\(/.test(readFileSync(file, 'utf8')) ? [relative(APP, file)] : []));
    expect(found).toEqual([]);
  });
});
