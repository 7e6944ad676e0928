import type { GatewayOp } from '../protocol/gateway-ops.ts';
import type { PageGlobals } from './contract.ts';
import type { Tab } from './tab.ts';

/**
 * A writer that runs inside a tab's page, as a user's script would: `window.tabkeeper.run()`
 * back to back, never pausing, each write creating `<parent>/w-<n>` (so every acknowledged
 * write can be looked for afterwards). It keeps the time of every success and every error, so a
 * test can tell how long writes stopped (the gaps) and whether any failed.
 */

export interface WriterReport {
  /** Names (`w-000012`) of the znodes whose create was acknowledged, in order. */
  readonly acknowledged: string[];
  /** Date.now() at each acknowledgement, in order. */
  readonly ackedAtMs: number[];
  /** Every error answered, with when it came. */
  readonly errors: { readonly error: string; readonly atMs: number }[];
}

interface PageWriter {
  stop: boolean;
  done: Promise<void>;
  acknowledged: string[];
  ackedAtMs: number[];
  errors: { error: string; atMs: number }[];
}

type WriterGlobals = PageGlobals & { __e2eWriters?: Record<string, PageWriter> };

/** Starts writing under `parent` (which must exist) in `tab`; `id` names this writer in the page. */
export async function startWriter(tab: Tab, id: string, parent: string): Promise<void> {
  await tab.page.evaluate(
    ({ id, parent }) => {
      const globals = globalThis as WriterGlobals;
      const keeper = globals.tabkeeper;
      if (keeper === undefined) throw new Error('window.tabkeeper is not defined');
      const writers = (globals.__e2eWriters ??= {});
      const writer: PageWriter = { stop: false, done: Promise.resolve(), acknowledged: [], ackedAtMs: [], errors: [] };
      writers[id] = writer;
      writer.done = (async () => {
        for (let index = 0; !writer.stop; index++) {
          const name = `w-${String(index).padStart(6, '0')}`;
          const op: GatewayOp = { op: 'create', path: `${parent}/${name}`, data: name, ephemeral: false, sequential: false };
          const result = await keeper.run(op);
          if (result.ok) {
            writer.acknowledged.push(name);
            writer.ackedAtMs.push(Date.now());
          } else {
            writer.errors.push({ error: result.error, atMs: Date.now() });
          }
        }
      })();
    },
    { id, parent },
  );
}

/** How many writes the writer `id` has had acknowledged so far. */
export function acknowledgedCount(tab: Tab, id: string): Promise<number> {
  return tab.page.evaluate((id) => (globalThis as WriterGlobals).__e2eWriters?.[id]?.acknowledged.length ?? 0, id);
}

/** Stops the writer `id` after its current write settles, and returns what it saw. */
export function stopWriter(tab: Tab, id: string): Promise<WriterReport> {
  return tab.page.evaluate(async (id) => {
    const writer = (globalThis as WriterGlobals).__e2eWriters?.[id];
    if (writer === undefined) throw new Error(`no writer ${id} in this page`);
    writer.stop = true;
    await writer.done;
    return { acknowledged: writer.acknowledged, ackedAtMs: writer.ackedAtMs, errors: writer.errors };
  }, id);
}

/** The longest time between two consecutive acknowledgements (0 with fewer than two). */
export function longestGapMs(report: WriterReport): number {
  let longest = 0;
  for (let index = 1; index < report.ackedAtMs.length; index++) longest = Math.max(longest, report.ackedAtMs[index]! - report.ackedAtMs[index - 1]!);
  return longest;
}

/** Median and maximum of some measurements, for notes. */
export function summary(values: readonly number[]): { median: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN, max: sorted.at(-1) ?? Number.NaN };
}
