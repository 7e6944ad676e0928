import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { LinkProbes, parseControl, PEER_LEFT_PROBE_TIMEOUT_MS } from './link-probe.ts';

// Goal: a signaling hint about a peer never closes a working link by itself: the link is probed
// over the DataChannel and closed only if the peer does not answer. Method: two LinkProbes wired
// back to back through a fake channel that can go silent, on fake timers.
describe('LinkProbes', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function pair(options: { silent: () => boolean }) {
    const events: string[] = [];
    const here = { name: 'here' };
    const there = { name: 'there' };
    let local: LinkProbes<object> | null = null;
    const remote: LinkProbes<object> = new LinkProbes({
      send: (_link, text) => {
        const message = parseControl(text);
        if (!options.silent() && message !== null) queueMicrotask(() => local!.receive(here, message));
        return true;
      },
      dead: () => events.push('remote dead'),
      alive: () => events.push('remote alive'),
    });
    local = new LinkProbes({
      send: (_link, text) => {
        const message = parseControl(text);
        if (!options.silent() && message !== null) queueMicrotask(() => remote.receive(there, message));
        return true;
      },
      dead: (_link, why) => events.push(`dead: ${why}`),
      alive: () => events.push('alive'),
      timeoutMs: 4_000,
    });
    return { local, here, events };
  }

  test('a peer that answers keeps its link; one that is silent loses it after the timeout, not before', async () => {
    let silent = false;
    const { local, here, events } = pair({ silent: () => silent });
    local.probe(here, 'peer-left');
    await vi.advanceTimersByTimeAsync(10);
    expect(events).toEqual(['alive']);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(events).toEqual(['alive']);
    silent = true;
    local.probe(here, 'peer-joined');
    await vi.advanceTimersByTimeAsync(3_999);
    expect(events).toEqual(['alive']);
    expect(local.probing(here)).toBe(true);
    await vi.advanceTimersByTimeAsync(1);
    expect(events).toEqual(['alive', 'dead: no answer to a probe within 4000 ms after peer-joined']);
  });

  test('a probe with a shorter timeout (peer-left) replaces a waiting one; a longer one does not', async () => {
    const events: string[] = [];
    const link = {};
    const sent: string[] = [];
    const probes = new LinkProbes<object>({ send: (_link, text) => sent.push(text) > 0, dead: (_link, why) => events.push(why), alive: () => events.push('alive'), timeoutMs: 4_000 });
    probes.probe(link, 'peer-joined');
    probes.probe(link, 'peer-left', PEER_LEFT_PROBE_TIMEOUT_MS);
    probes.probe(link, 'peer-joined');
    expect(sent).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(PEER_LEFT_PROBE_TIMEOUT_MS - 1);
    expect(events).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(events).toEqual([`no answer to a probe within ${PEER_LEFT_PROBE_TIMEOUT_MS} ms after peer-left`]);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(events).toHaveLength(1);
  });

  test('a stale or forged answer settles nothing; forget cancels a probe', async () => {
    const events: string[] = [];
    const link = {};
    const probes = new LinkProbes<object>({ send: () => true, dead: () => events.push('dead'), alive: () => events.push('alive'), timeoutMs: 1_000 });
    probes.probe(link, 'hint');
    probes.receive(link, { kind: 'alive', id: 999 });
    probes.receive(link, parseControl('~alive nonsense')!);
    expect(events).toEqual([]);
    probes.forget(link);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(events).toEqual([]);
  });

  test('protocol messages are not control messages', () => {
    expect(parseControl('{"kind":"ping"}')).toBeNull();
    expect(parseControl('~probe 12')).toEqual({ kind: 'probe', id: 12 });
    expect(parseControl('~alive 3')).toEqual({ kind: 'alive', id: 3 });
  });
});
