import { describe, expect, it } from 'vitest';
import { parseTrace, type TraceLogEntry, type TraceStatus } from '../trace-format.ts';
import { runSeed } from './run-seed.ts';

// The trace the app replays must say what the simulator saw: a file the app's parser accepts,
// each server's recorded log ending where its recorded state says, and the converged end state.
describe('TraceRecorder', () => {
  for (const [seed, voters, observers, workload] of [
    [7, 3, 0, 'kv'],
    [21, 5, 1, 'tree'],
  ] as const) {
    it(`records seed ${seed} (${voters} voters, ${observers} observers, ${workload})`, async () => {
      const result = await runSeed({ seed, voters, observers, trace: false, workload }, { record: true });
      expect(result.ok, result.failure ?? '').toBe(true);
      const parsed = parseTrace(JSON.stringify(result.recording));
      if (!parsed.ok) throw new Error(parsed.error);
      const trace = parsed.trace;
      expect(trace.truncated).toBe(false);
      expect(trace.durationMs).toBeCloseTo(result.simulatedMs, 0);

      const statuses = new Map<number, TraceStatus | null>();
      const logs = new Map<number, TraceLogEntry[]>();
      let messages = 0;
      for (const event of trace.events) {
        if (event.type === 'status') statuses.set(event.sid, event.status);
        if (event.type === 'log') logs.set(event.sid, [...(logs.get(event.sid) ?? []), ...event.append]);
        if (event.type === 'log-reset') logs.set(event.sid, [...event.entries]);
        if (event.type === 'message') {
          messages++;
          expect(event.sentAt).toBeLessThanOrEqual(event.t);
        }
      }
      expect(messages).toBeGreaterThan(50);
      expect([...statuses.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: voters + observers }, (_, index) => index + 1));
      // Every server's recorded data tree: folded from its `tree` events, equal once they converge.
      const trees = new Map<number, Map<string, string>>();
      for (const event of trace.events) {
        if (event.type !== 'tree') continue;
        const tree = trees.get(event.sid) ?? new Map<string, string>();
        for (const path of event.remove) tree.delete(path);
        for (const node of event.set) tree.set(node.path, `${node.data}|${node.stat?.version ?? ''}`);
        trees.set(event.sid, tree);
      }
      const shapes = [...statuses.keys()].map((sid) => JSON.stringify([...(trees.get(sid) ?? new Map()).entries()].sort()));
      expect(new Set(shapes).size, 'every server ends with one recorded tree').toBe(1);
      expect(trees.get(1)?.size ?? 0, 'the recorded tree holds the workload\'s writes').toBeGreaterThan(2);
      expect(trees.get(1)?.has('/'), 'the root is recorded').toBe(true);
      const committed = new Set<string>();
      for (const [sid, status] of statuses) {
        expect(status, `server ${sid} runs at the end`).not.toBeNull();
        expect(status!.serving, `server ${sid} serves at the end`).toBe(true);
        committed.add(status!.committedZxid);
        const log = logs.get(sid) ?? [];
        expect(log.length === 0 ? status!.baseZxid : log[log.length - 1]!.zxid, `server ${sid}'s recorded log ends at its last zxid`).toBe(status!.lastZxid);
      }
      expect(committed.size, 'every server ends at one committed zxid').toBe(1);
    });
  }

  it('the parser refuses what is not a trace', () => {
    expect(parseTrace('{').ok).toBe(false);
    expect(parseTrace('{"format":"something else"}').ok).toBe(false);
    const bad = parseTrace(JSON.stringify({ format: 'tabkeeper-sim-trace', version: 1, seed: 1, voters: 3, observers: 0, workload: 'kv', summary: '', ok: true, failure: null, durationMs: 1, truncated: false, events: [{ t: 0, type: 'status', sid: 0, status: null }] }));
    expect(bad.ok).toBe(false);
  });
});
