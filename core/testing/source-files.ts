import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The source files under `directory`, for the tests that read the code itself (core/purity.test.ts,
 * core/layers.test.ts, client-app/ui/no-simulator.test.ts, client-app/ui/no-polling.test.ts).
 * A test helper (`testing/`): it runs in Node only, so core's purity rule does not apply to it.
 */
export interface SourceFilter {
  /** File names kept (default: `.ts` and `.svelte`). */
  readonly names?: RegExp;
  /** Leave out tests and test helpers (`*.test.ts`, `*.spec.ts`, `testing/`). Default: true. */
  readonly withoutTests?: boolean;
  /** Directory names never entered (dependencies, build output). */
  readonly skipDirectories?: ReadonlySet<string>;
}

const SOURCE_NAMES = /\.(ts|svelte)$/;
const TEST_NAMES = /\.(test|spec)\.ts$/;

export function sourceFiles(directory: string, filter: SourceFilter = {}): string[] {
  const names = filter.names ?? SOURCE_NAMES;
  const withoutTests = filter.withoutTests ?? true;
  return readdirSync(directory).flatMap((name) => {
    if (name.startsWith('.') || filter.skipDirectories?.has(name)) return [];
    const path = join(directory, name);
    if (statSync(path).isDirectory()) return withoutTests && name === 'testing' ? [] : sourceFiles(path, filter);
    if (withoutTests && TEST_NAMES.test(name)) return [];
    return names.test(name) ? [path] : [];
  });
}
