import { readFileSync } from 'node:fs';
import type { BenchResults } from './results.ts';

/**
 * The README's tables of one bench run, drawn from its JSON, so that the figures the README
 * shows are the run's and nothing is copied by hand:
 * `node --import tsx bench/markdown.ts bench/results/latest.json`.
 */
export function renderMarkdown(results: BenchResults): string {
  const m = results.machine;
  const b = results.baselines;
  const ms = (value: number) => value.toFixed(1);
  const ratio = (value: number | null) => (value === null ? '-' : `${value.toFixed(2)}x`);
  const lines = [
    `Run of ${results.date.slice(0, 16).replace('T', ' ')} UTC: ${m.chromium}, ZooKeeper ${m.zookeeper ?? 'not installed'}, ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}; load average ${m.loadAverageAtStart.join(' / ')} at the start${m.note === null ? '' : ` (${m.note})`}.`,
    '',
    `Baselines: DataChannel round trip (A) p50 ${b.roundTrip.p50Ms.toFixed(2)} ms / p99 ${b.roundTrip.p99Ms.toFixed(2)} ms; strict IndexedDB transaction (B) p50 ${b.indexedDb.p50Ms.toFixed(2)} ms / p99 ${b.indexedDb.p99Ms.toFixed(2)} ms; bound A + B ${b.boundMs.toFixed(2)} ms${b.indexedDbThreeWriters === undefined ? '' : `; three pages' strict transactions at once (C) p50 ${b.indexedDbThreeWriters.p50Ms.toFixed(2)} ms / p99 ${b.indexedDbThreeWriters.p99Ms.toFixed(2)} ms`}.`,
    '',
    '| measure (3 seats) | TabKeeper p50 / p99 ms | ZooKeeper p50 / p99 ms | TabKeeper p50 / bound | TabKeeper p99 / ZooKeeper p99 |',
    '|---|---|---|---|---|',
    ...results.latency.map(
      (row) =>
        `| ${row.name} | ${ms(row.tabkeeper.p50Ms)} / ${ms(row.tabkeeper.p99Ms)} | ${row.zookeeper === null ? '-' : `${ms(row.zookeeper.p50Ms)} / ${ms(row.zookeeper.p99Ms)}`} | ${ratio(row.ratioToBound)} | ${ratio(row.p99RatioToZooKeeper)} |`,
    ),
    '',
    '| pipelined setData, 64 outstanding | TabKeeper writes/s (p99 ms) | ZooKeeper writes/s (p99 ms) | TabKeeper / ZooKeeper |',
    '|---|---|---|---|',
    ...results.throughput.map(
      (row) =>
        `| ${row.name.replace(', 64 outstanding', '')} | ${row.tabkeeper.opsPerSecond.toFixed(0)} (${row.tabkeeper.latency.p99Ms.toFixed(0)}) | ${row.zookeeper === null ? '-' : `${row.zookeeper.opsPerSecond.toFixed(0)} (${row.zookeeper.latency.p99Ms.toFixed(0)})`} | ${row.zookeeper === null ? '-' : ratio(row.tabkeeper.opsPerSecond / row.zookeeper.opsPerSecond)} |`,
    ),
    '',
    `Failover (longest gap between a follower's successful writes): ${results.failover.map((row) => `${row.name} ${row.gapMs.toFixed(0)} ms`).join('; ')}. Recovery (a follower's tab reloaded until it serves again): ${results.recovery.map((row) => `${row.txns.toLocaleString('en')} txns ${row.reloadToServingMs} ms`).join('; ')}. JS heap per tab: ${results.memory.heapBytesPerTab.map((bytes) => `${(bytes / 2 ** 20).toFixed(1)}`).join(', ')} MiB; ${results.memory.heapBytesPerTabAfterRecovery.map((bytes) => `${(bytes / 2 ** 20).toFixed(1)}`).join(', ')} MiB after 100k txns. Simulator: ${results.simulator === null ? 'failed' : `${results.simulator.seedsPerSecond.toFixed(1)} seeds/s (${results.simulator.workload} workload, ${results.simulator.workers} workers)`}.`,
  ];
  return `${lines.join('\n')}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [input] = process.argv.slice(2);
  if (input === undefined) throw new Error('usage: node --import tsx bench/markdown.ts results.json');
  process.stdout.write(renderMarkdown(JSON.parse(readFileSync(input, 'utf8')) as BenchResults));
}
