import type { StateReader } from '../ready.ts';
import { MAX_TRACE_DATA, MAX_TRACE_NODES, type TraceStat, type TraceZnode } from '../trace-format.ts';
import type { Json } from '../types.ts';
import { KvMachine } from './kv-machine.ts';

/**
 * A server's applied state as the trace records it (core/trace-format.ts `tree` events): the
 * data tree's znodes read through `query`, breadth first from `/`, or the key-value machine's
 * keys as `/key` under an empty root. At most MAX_TRACE_NODES nodes; `cut` says whether more were left out.
 */
export function appliedNodes(machine: StateReader): { nodes: TraceZnode[]; cut: boolean } {
  if (machine instanceof KvMachine) {
    const pairs = machine.snapshot() as [string, Json][];
    const nodes: TraceZnode[] = [{ path: '/', data: '', stat: null }];
    for (const [key, value] of pairs.slice(0, MAX_TRACE_NODES - 1)) nodes.push({ path: `/${key}`, data: clip(typeof value === 'string' ? value : JSON.stringify(value)), stat: null });
    return { nodes, cut: pairs.length > MAX_TRACE_NODES - 1 };
  }
  const nodes: TraceZnode[] = [];
  const pending = ['/'];
  while (pending.length > 0 && nodes.length < MAX_TRACE_NODES) {
    const path = pending.shift()!;
    const read = machine.query({ type: 'getData', path });
    if (!read.ok) continue;
    const { data, stat } = read.value as unknown as { data: string; stat: TraceStat };
    nodes.push({ path, data: clip(data), stat });
    const listed = machine.query({ type: 'getChildren', path });
    if (!listed.ok) continue;
    for (const child of [...(listed.value as { children: string[] }).children].sort()) pending.push(path === '/' ? `/${child}` : `${path}/${child}`);
  }
  return { nodes, cut: pending.length > 0 };
}

function clip(data: string): string {
  return data.length > MAX_TRACE_DATA ? `${data.slice(0, MAX_TRACE_DATA)}… (${data.length} characters)` : data;
}

/** What changed between two recorded states: nodes new or different, and paths gone. */
export function diffNodes(before: ReadonlyMap<string, string>, nodes: readonly TraceZnode[]): { set: TraceZnode[]; remove: string[]; after: Map<string, string> } {
  const after = new Map<string, string>();
  const set: TraceZnode[] = [];
  for (const node of nodes) {
    const key = JSON.stringify(node);
    after.set(node.path, key);
    if (before.get(node.path) !== key) set.push(node);
  }
  const remove = [...before.keys()].filter((path) => !after.has(path));
  return { set, remove, after };
}
