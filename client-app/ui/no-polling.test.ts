import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// The views update from the tab's events (client-app/app/tab-events.ts), never by polling: a
// timer that re-reads the tree or the status on a period would cost the write path whether or
// not anything changed (the 200 ms refresh that stringified the whole tree did).
const APP = new URL('..', import.meta.url).pathname;

function viewSources(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) return viewSources(path);
    return /\.(ts|svelte)$/.test(name) && !name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('the views', () => {
  it('start no periodic timer', () => {
    const files = [...viewSources(join(APP, 'ui')), join(APP, 'App.svelte'), join(APP, 'main.ts')];
    const found = files.flatMap((file) => (/\bsetInterval\s*\(/.test(readFileSync(file, 'utf8')) ? [relative(APP, file)] : []));
    expect(found).toEqual([]);
  });
});
