import { readFileSync, writeFileSync } from 'node:fs';
import type { BenchResults } from './results.ts';

/**
 * An SVG chart of one bench run, drawn from its JSON (no library): on the left, latency p50 and
 * p99 of each measure for TabKeeper and ZooKeeper with the bound from the same run as a mark;
 * on the right, pipelined throughput. `node --import tsx bench/chart.ts results.json out.svg`
 * redraws a saved run.
 */

const WIDTH = 980;
const ROW = 34;
const COLORS = { tabkeeper: '#2b6cb0', tabkeeperP99: '#90cdf4', zookeeper: '#c05621', zookeeperP99: '#fbd38d', bound: '#1a202c' };

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A log-free linear scale from 0 to the largest value, with bars `width` px long at most. */
function bar(x: number, y: number, value: number, max: number, width: number, height: number, color: string, label: string): string {
  const length = Math.max(1, (value / max) * width);
  return `<rect x="${x}" y="${y}" width="${length.toFixed(1)}" height="${height}" fill="${color}"/><text x="${(x + length + 4).toFixed(1)}" y="${y + height - 1}" font-size="10">${escape(label)}</text>`;
}

export function renderChart(results: BenchResults): string {
  const parts: string[] = [];
  const m = results.machine;
  const left = 250;
  const barWidth = 150;
  parts.push(`<text x="10" y="20" font-size="14" font-weight="bold">TabKeeper vs ZooKeeper ${escape(m.zookeeper ?? '(not installed)')}, one run (${escape(results.date.slice(0, 16))}Z)</text>`);
  parts.push(`<text x="10" y="38" font-size="11">${escape(`${m.chromium}; ${m.cores} cores ${m.cpu}; ${m.memoryGiB} GiB; ${m.os}; load average at start ${m.loadAverageAtStart.join(' / ')}`)}</text>`);
  if (m.note) parts.push(`<text x="10" y="52" font-size="11">${escape(m.note)}</text>`);
  // Latency.
  let y = 76;
  parts.push(`<text x="10" y="${y}" font-size="12" font-weight="bold">Latency, ms (dark: p50, light: p99; | the bound from the same run)</text>`);
  y += 12;
  const maxLatency = Math.max(...results.latency.flatMap((row) => [row.tabkeeper.p99Ms, row.zookeeper?.p99Ms ?? 0, row.boundMs]));
  for (const row of results.latency) {
    parts.push(`<text x="10" y="${y + 12}" font-size="11">${escape(row.name)}</text>`);
    // The label goes after the p99 bar (the longer one), drawn under the p50 bar.
    parts.push(bar(left, y, row.tabkeeper.p99Ms, maxLatency, barWidth, 7, COLORS.tabkeeperP99, `TabKeeper ${row.tabkeeper.p50Ms.toFixed(1)} / ${row.tabkeeper.p99Ms.toFixed(1)}`));
    parts.push(bar(left, y, row.tabkeeper.p50Ms, maxLatency, barWidth, 7, COLORS.tabkeeper, ''));
    if (row.zookeeper !== null) {
      parts.push(bar(left, y + 9, row.zookeeper.p99Ms, maxLatency, barWidth, 7, COLORS.zookeeperP99, `ZooKeeper ${row.zookeeper.p50Ms.toFixed(1)} / ${row.zookeeper.p99Ms.toFixed(1)}`));
      parts.push(bar(left, y + 9, row.zookeeper.p50Ms, maxLatency, barWidth, 7, COLORS.zookeeper, ''));
    }
    const boundX = left + (row.boundMs / maxLatency) * barWidth;
    parts.push(`<line x1="${boundX.toFixed(1)}" y1="${y - 2}" x2="${boundX.toFixed(1)}" y2="${y + 19}" stroke="${COLORS.bound}" stroke-width="2"/>`);
    y += ROW - 6;
  }
  // Throughput.
  const rightX = 510;
  let y2 = 76;
  parts.push(`<text x="${rightX}" y="${y2}" font-size="12" font-weight="bold">Pipelined setData, writes/s (64 outstanding)</text>`);
  y2 += 12;
  const maxThroughput = Math.max(...results.throughput.flatMap((row) => [row.tabkeeper.opsPerSecond, row.zookeeper?.opsPerSecond ?? 0]));
  for (const row of results.throughput) {
    parts.push(`<text x="${rightX}" y="${y2 + 12}" font-size="11">${escape(row.name.replace(`, 64 outstanding`, ''))}</text>`);
    parts.push(bar(rightX + 200, y2, row.tabkeeper.opsPerSecond, maxThroughput, 150, 7, COLORS.tabkeeper, `TabKeeper ${row.tabkeeper.opsPerSecond.toFixed(0)}`));
    if (row.zookeeper !== null) parts.push(bar(rightX + 200, y2 + 9, row.zookeeper.opsPerSecond, maxThroughput, 150, 7, COLORS.zookeeper, `ZooKeeper ${row.zookeeper.opsPerSecond.toFixed(0)}`));
    y2 += ROW - 6;
  }
  // Other figures as text.
  let y3 = Math.max(y, y2) + 14;
  const facts = [
    `baselines: DataChannel round trip p50 ${results.baselines.roundTrip.p50Ms.toFixed(2)} ms (p99 ${results.baselines.roundTrip.p99Ms.toFixed(2)}), IndexedDB strict transaction p50 ${results.baselines.indexedDb.p50Ms.toFixed(2)} ms (p99 ${results.baselines.indexedDb.p99Ms.toFixed(2)}), bound ${results.baselines.boundMs.toFixed(2)} ms${results.baselines.indexedDbThreeWriters === undefined ? '' : `; three pages' strict transactions at once p50 ${results.baselines.indexedDbThreeWriters.p50Ms.toFixed(2)} ms`}`,
    `failover: ${results.failover.map((row) => `${row.name} ${row.gapMs.toFixed(0)} ms`).join('; ')}`,
    `recovery of a reloaded tab: ${results.recovery.map((row) => `${row.txns} txns ${row.reloadToServingMs} ms`).join('; ')}`,
    `JS heap per tab: ${results.memory.heapBytesPerTabAfterRecovery.map((bytes) => `${(bytes / 2 ** 20).toFixed(1)} MiB`).join(', ')}; simulator ${results.simulator === null ? 'failed' : `${results.simulator.seedsPerSecond.toFixed(1)} seeds/s`} (tree workload)`,
  ];
  for (const fact of facts) {
    parts.push(`<text x="10" y="${y3}" font-size="11">${escape(fact)}</text>`);
    y3 += 16;
  }
  const height = y3 + 4;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif"><rect width="100%" height="100%" fill="white"/>${parts.join('')}</svg>\n`;
}

export function writeChart(results: BenchResults, file: string): void {
  writeFileSync(file, renderChart(results));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [input, output] = process.argv.slice(2);
  if (input === undefined || output === undefined) throw new Error('usage: node --import tsx bench/chart.ts results.json out.svg');
  writeChart(JSON.parse(readFileSync(input, 'utf8')) as BenchResults, output);
}
