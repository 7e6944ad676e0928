import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sourceFiles } from './testing/source-files.ts';

/**
 * The layout table of docs/ARCHITECTURE.md, as a test: which top-level folder (layer) may
 * import which. Lower layers never import higher ones, so the consensus core can be reasoned
 * about (and simulated) on its own, the contracts the processes share have one home
 * (protocol/), and the browser bundle never pulls in a Node module.
 *
 * core/purity.test.ts checks what core/ itself may use; this test checks the edges between
 * folders. Both read the sources as text: they need no build and cannot be fooled by a bundler.
 */
const ROOT = resolve(new URL('.', import.meta.url).pathname, '..');

type Layer = 'core' | 'lib' | 'protocol' | 'signaling' | 'zookeeper' | 'cli' | 'client-app' | 'scripts' | 'bench' | 'e2e';

/** Every layer and the layers its sources may import (besides itself). Keep in step with docs/ARCHITECTURE.md. */
export const MAY_IMPORT: Readonly<Record<Layer, readonly Layer[]>> = {
  // ZAB as a pure state machine, the data tree, the client, the simulator: imports nothing else.
  core: [],
  // Helpers with timers, which core/ may not have (a timeout, a retry schedule): browser and Node.
  lib: ['core'],
  // The contracts the processes share (signaling events, gateway ops, history records, ...).
  protocol: ['core'],
  signaling: ['core', 'lib', 'protocol'],
  // The ZooKeeper listener runs in the signaling process (its logger and options) and reaches
  // tabs through the CLI's gateway client.
  zookeeper: ['core', 'lib', 'protocol', 'signaling', 'cli'],
  cli: ['core', 'lib', 'protocol'],
  'client-app': ['core', 'lib', 'protocol'],
  scripts: ['core', 'lib'],
  // Measurement and end-to-end tests drive the whole system.
  bench: ['core', 'lib', 'protocol', 'signaling', 'zookeeper', 'cli', 'client-app', 'e2e'],
  e2e: ['core', 'lib', 'protocol', 'signaling', 'zookeeper', 'cli', 'client-app'],
};

/** What tests and test helpers (`*.test.ts`, `testing/`) of a layer may import beyond its sources' table. */
export const TESTS_MAY_ALSO_IMPORT: Readonly<Partial<Record<Layer, readonly Layer[]>>> = {
  // The CLI's tests start a real signaling server and a cluster of Node tabs (zookeeper/testing/node-cluster.ts).
  cli: ['signaling', 'zookeeper'],
  // The listener's tests run tabs' ZooKeeper sessions in Node, behind a real signaling server.
  zookeeper: ['client-app'],
};

/** Process entry points: a composition root may start what runs in its process. */
export const ENTRY_POINTS_MAY_ALSO_IMPORT: Readonly<Record<string, readonly Layer[]>> = {
  // `npm start` runs the ZooKeeper listener inside the signaling server's process.
  'signaling/main.ts': ['zookeeper'],
};

/** Files at the repository's root (vite.config.ts, ...) that are build configuration, in no layer. */
const ROOT_FILES_IN_NO_LAYER = new Set(['vite.config.ts', 'vitest.config.ts']);

const SKIPPED_DIRECTORIES = new Set(['node_modules', 'dist', '.git', 'sim-failures', 'test-results', 'playwright-report']);


/** Every module specifier a file imports or re-exports, statically or dynamically. */
export function importsOf(text: string): string[] {
  const found: string[] = [];
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm;
  for (const [, specifier] of text.matchAll(pattern)) found.push(specifier!);
  return found;
}

function layerOf(path: string): string | null {
  const [first, ...rest] = relative(ROOT, path).split('/');
  return rest.length === 0 ? null : first!;
}

function isTestFile(path: string): boolean {
  const local = relative(ROOT, path);
  return /\.(test|spec)\.ts$/.test(local) || local.split('/').includes('testing');
}

/** The relative imports of `files` that leave their layer for one the table does not allow, as "from -> to" lines. */
export function forbiddenEdges(files: readonly { path: string; text: string }[]): string[] {
  const violations: string[] = [];
  for (const { path, text } of files) {
    const from = layerOf(path);
    if (from === null) continue;
    const local = relative(ROOT, path);
    const allowed = new Set<string>([
      from,
      ...(MAY_IMPORT[from as Layer] ?? []),
      ...(isTestFile(path) ? (TESTS_MAY_ALSO_IMPORT[from as Layer] ?? []) : []),
      ...(ENTRY_POINTS_MAY_ALSO_IMPORT[local] ?? []),
    ]);
    for (const specifier of importsOf(text)) {
      if (!specifier.startsWith('.')) continue;
      const target = resolve(dirname(path), specifier);
      const to = layerOf(target);
      if (to === null) {
        violations.push(`${local} imports ${specifier}, a file outside every layer`);
      } else if (!allowed.has(to)) {
        violations.push(`${local} (${from}) imports ${relative(ROOT, target)} (${to})`);
      }
    }
  }
  return violations.sort();
}

const NODE_MODULES = new Set(builtinModules);

/**
 * The files the browser app loads (client-app/ sources and everything they import, transitively)
 * that import a Node module: each would break the bundle or pull a polyfill into every tab.
 */
export function nodeImportsInBrowser(read: (path: string) => string | null, entries: readonly string[]): string[] {
  const violations: string[] = [];
  const seen = new Set<string>();
  const queue = [...entries];
  while (queue.length > 0) {
    const path = queue.pop()!;
    if (seen.has(path)) continue;
    seen.add(path);
    const text = read(path);
    if (text === null) continue;
    for (const specifier of importsOf(text)) {
      if (specifier.startsWith('node:') || NODE_MODULES.has(specifier.split('/')[0]!)) {
        violations.push(`${relative(ROOT, path)} imports ${specifier}`);
      } else if (specifier.startsWith('.')) {
        queue.push(resolve(dirname(path), specifier));
      }
    }
  }
  return violations.sort();
}

describe('the layout table (docs/ARCHITECTURE.md)', () => {
  // This file is left out: its made-up examples below are imports only in name.
  const self = new URL(import.meta.url).pathname;
  const files = sourceFiles(ROOT, { withoutTests: false, skipDirectories: SKIPPED_DIRECTORIES })
    .filter((path) => path !== self)
    .map((path) => ({ path, text: readFileSync(path, 'utf8') }));

  it('knows every top-level folder that holds sources', () => {
    const folders = new Set(files.map(({ path }) => layerOf(path)).filter((layer): layer is string => layer !== null));
    const unknown = [...folders].filter((folder) => !(folder in MAY_IMPORT));
    const looseRootFiles = files.filter(({ path }) => layerOf(path) === null && !ROOT_FILES_IN_NO_LAYER.has(relative(ROOT, path)));
    expect(unknown).toEqual([]);
    expect(looseRootFiles.map(({ path }) => relative(ROOT, path))).toEqual([]);
    for (const layer of Object.keys(MAY_IMPORT)) expect(folders, `no sources found in ${layer}/`).toContain(layer);
  });

  it('every import goes in a direction the table allows', () => {
    expect(forbiddenEdges(files)).toEqual([]);
  });

  it('the browser app loads no Node module', () => {
    const byPath = new Map(files.map(({ path, text }) => [path, text]));
    const entries = files.filter(({ path }) => layerOf(path) === 'client-app' && !isTestFile(path)).map(({ path }) => path);
    expect(entries.length).toBeGreaterThan(20);
    expect(nodeImportsInBrowser((path) => byPath.get(path) ?? null, entries)).toEqual([]);
  });

  // The checks themselves, on made-up files: an edge the table forbids is reported.
  it('reports a forbidden edge, a test-only edge outside tests, and a Node module in the browser', () => {
    const at = (path: string) => join(ROOT, path);
    expect(
      forbiddenEdges([
        { path: at('client-app/app/x.ts'), text: "import { parseLine } from '../../cli/run.ts';" },
        { path: at('core/x.ts'), text: "export { LIMITS } from '../protocol/signaling-events.ts';" },
        { path: at('signaling/x.ts'), text: "const start = await import('../zookeeper/start.ts');" },
        { path: at('cli/x.ts'), text: "import { SignalingServer } from '../signaling/server.ts';" },
        { path: at('cli/x.test.ts'), text: "import { SignalingServer } from '../signaling/server.ts';" },
        { path: at('signaling/main.ts'), text: "import { startZooKeeperListener } from '../zookeeper/start.ts';" },
        { path: at('protocol/x.ts'), text: "import type { Stat } from '../core/tree/stat.ts';" },
      ]),
    ).toEqual([
      'cli/x.ts (cli) imports signaling/server.ts (signaling)',
      'client-app/app/x.ts (client-app) imports cli/run.ts (cli)',
      'core/x.ts (core) imports protocol/signaling-events.ts (protocol)',
      'signaling/x.ts (signaling) imports zookeeper/start.ts (zookeeper)',
    ]);
    const texts: Record<string, string> = {
      [at('client-app/a.ts')]: "import { b } from '../protocol/b.ts';",
      [at('protocol/b.ts')]: "import { createHash } from 'node:crypto';\nimport { c } from './c.ts';",
      [at('protocol/c.ts')]: "import { readFileSync } from 'fs';",
    };
    expect(nodeImportsInBrowser((path) => texts[path] ?? null, [at('client-app/a.ts')])).toEqual([
      'protocol/b.ts imports node:crypto',
      'protocol/c.ts imports fs',
    ]);
  });
});

/*
 * docs/ARCHITECTURE.md is the map of the code: its layer table must say what this test enforces,
 * and every file it names must exist, so that the picture cannot drift from the code.
 */
const DOC = readFileSync(join(ROOT, 'docs', 'ARCHITECTURE.md'), 'utf8');

/** The layer table's rows: folder (or folders) -> the folders its last column names. */
function documentedTable(): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of DOC.split('\n')) {
    if (!line.startsWith('| `')) continue;
    const cells = line.split('|').map((cell) => cell.trim());
    const folders = [...cells[1]!.matchAll(/`([a-z0-9-]+)\/`/g)].map((match) => match[1]!);
    const allowed = cells[4]!;
    const names = allowed === 'anything' ? ['anything'] : [...allowed.split(';')[0]!.matchAll(/`([a-z0-9-]+)\/`/g)].map((match) => match[1]!);
    for (const folder of folders) rows.set(folder, names);
  }
  return rows;
}

describe('docs/ARCHITECTURE.md', () => {
  it('has a row for every layer, allowing exactly what core/layers.test.ts allows', () => {
    const table = documentedTable();
    expect([...table.keys()].sort()).toEqual(Object.keys(MAY_IMPORT).sort());
    for (const [layer, allowed] of Object.entries(MAY_IMPORT)) {
      const documented = table.get(layer)!;
      if (documented[0] === 'anything') continue;
      expect([...documented].sort(), `the row of ${layer}/`).toEqual([...allowed].sort());
    }
    for (const [file, extra] of Object.entries(ENTRY_POINTS_MAY_ALSO_IMPORT)) {
      expect(DOC, `the entry point ${file}`).toContain(`\`${file.split('/').pop()}\` also ${extra.map((layer) => `\`${layer}/\``).join(', ')}`);
    }
  });

  it('names only files that exist', () => {
    const named = new Set([...DOC.matchAll(/`((?:[a-z0-9-]+\/)+[a-z0-9.-]+\.(?:ts|svelte))`/g)].map((match) => match[1]!));
    expect(named.size).toBeGreaterThan(40);
    expect([...named].filter((path) => !existsSync(join(ROOT, path)))).toEqual([]);
  });
});
