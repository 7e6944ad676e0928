import { parseArgs } from 'node:util';
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from './logger.ts';
import { LIMITS } from '../protocol/signaling-events.ts';

/**
 * The signaling server's options, from flags (which win) and environment variables. Every
 * option has a default, so `npm run signaling` alone serves on port 3000.
 */
export interface ServerOptions {
  readonly host: string;
  readonly port: number;
  /** N for clusters whose first tab names no size. */
  readonly defaultClusterSize: number;
  /** Observer seats a cluster offers beyond its N voters. */
  readonly maxObservers: number;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
  /** Redis URL: set, several servers share seats and rooms through it; null, one process alone. */
  readonly redisUrl: string | null;
  /** Directory of the built client app served on the same port; null: the default `dist/` if present. */
  readonly staticDir: string | null;
  /** Per-socket events per second, and the burst allowed above it. */
  readonly rateLimitPerSecond: number;
  readonly rateLimitBurst: number;
  /**
   * Redis mode: how long a server's liveness mark lives without refresh. A server that dies
   * loses its seats this long after its last refresh.
   */
  readonly redisLivenessMs: number;
  /** How long an empty cluster keeps its size and key, so the tabs of a short outage come back to the same cluster. */
  readonly emptyClusterTtlMs: number;
  /** Most clusters remembered at once (empty ones are forgotten longest-empty first past it). */
  readonly maxClusters: number;
  /**
   * Failure limit: misses (a gateway-connect to no cluster or with a wrong session secret, a
   * join that creates a cluster) one connection, one client address or one cluster name may
   * make at once, and how many per minute it earns back. See failure-limit.ts.
   */
  readonly failureBurst: number;
  readonly failuresPerMinute: number;
  /**
   * How long seats whose signaling server went away stay reserved for their tabs: after this
   * process starts (memory mode), or after a server is found dead (Redis mode). seat-ownership.ts.
   */
  readonly seatGraceMs: number;
  /** This server's URL as tabs reach it, published to the others through Redis; null: its own listening URL. */
  readonly publicUrl: string | null;
  /** Signaling server URLs handed to tabs besides the ones published through Redis (servers behind one name). */
  readonly signalingUrls: readonly string[];
  /** The ZooKeeper listener's port (zookeeper/), null: none. */
  readonly zkPort: number | null;
  /** The one cluster ZooKeeper clients reach; null: the connect string's chroot names it. */
  readonly zkCluster: string | null;
  /** The join key the ZooKeeper listener presents (a client may give one with `addauth digest`). */
  readonly zkKey: string | null;
}

export const DEFAULT_OPTIONS: ServerOptions = {
  host: '0.0.0.0',
  port: 3000,
  defaultClusterSize: 3,
  maxObservers: 32,
  logLevel: 'info',
  logFormat: 'text',
  redisUrl: null,
  staticDir: null,
  rateLimitPerSecond: 200,
  rateLimitBurst: 400,
  redisLivenessMs: 15_000,
  emptyClusterTtlMs: 60 * 60_000,
  maxClusters: 10_000,
  failureBurst: 30,
  failuresPerMinute: 30,
  seatGraceMs: 10_000,
  publicUrl: null,
  signalingUrls: [],
  zkPort: 2181,
  zkCluster: null,
  zkKey: null,
};

interface OptionSpec {
  readonly flag: string;
  readonly env: string;
  readonly key: keyof ServerOptions;
  readonly help: string;
  readonly parse: (text: string) => ServerOptions[keyof ServerOptions];
}

const SPECS: readonly OptionSpec[] = [
  { flag: 'host', env: 'TABKEEPER_HOST', key: 'host', help: 'address to listen on', parse: (text) => nonEmpty(text) },
  { flag: 'port', env: 'TABKEEPER_PORT', key: 'port', help: 'port to listen on (0: any free port)', parse: (text) => integer(text, 0, 65535) },
  {
    flag: 'cluster-size',
    env: 'TABKEEPER_CLUSTER_SIZE',
    key: 'defaultClusterSize',
    help: `voters of a new cluster whose first tab names none (1..${LIMITS.clusterSize})`,
    parse: (text) => integer(text, 1, LIMITS.clusterSize),
  },
  {
    flag: 'max-observers',
    env: 'TABKEEPER_MAX_OBSERVERS',
    key: 'maxObservers',
    help: 'observer seats beyond the voters',
    parse: (text) => integer(text, 0, LIMITS.seat - LIMITS.clusterSize),
  },
  {
    flag: 'log-level',
    env: 'TABKEEPER_LOG_LEVEL',
    key: 'logLevel',
    help: LOG_LEVELS.join(' | '),
    parse: (text) => oneOf(text, LOG_LEVELS),
  },
  {
    flag: 'log-format',
    env: 'TABKEEPER_LOG_FORMAT',
    key: 'logFormat',
    help: 'text (readable) | json (one object per line)',
    parse: (text) => oneOf(text, LOG_FORMATS),
  },
  { flag: 'redis', env: 'TABKEEPER_REDIS_URL', key: 'redisUrl', help: 'redis://host:port to scale out over several servers', parse: redisUrl },
  { flag: 'static', env: 'TABKEEPER_STATIC_DIR', key: 'staticDir', help: 'directory of the built client app (default: dist/)', parse: (text) => nonEmpty(text) },
  {
    flag: 'rate-limit',
    env: 'TABKEEPER_RATE_LIMIT',
    key: 'rateLimitPerSecond',
    help: 'events per second per socket',
    parse: (text) => integer(text, 1, 1_000_000),
  },
  {
    flag: 'rate-burst',
    env: 'TABKEEPER_RATE_BURST',
    key: 'rateLimitBurst',
    help: 'events a socket may send at once above its rate',
    parse: (text) => integer(text, 1, 1_000_000),
  },
  {
    flag: 'redis-liveness-ms',
    env: 'TABKEEPER_REDIS_LIVENESS_MS',
    key: 'redisLivenessMs',
    help: 'with --redis: a dead server\'s seats are freed after this long',
    parse: (text) => integer(text, 300, 3_600_000),
  },
  {
    flag: 'empty-cluster-ttl-ms',
    env: 'TABKEEPER_EMPTY_CLUSTER_TTL_MS',
    key: 'emptyClusterTtlMs',
    help: 'an empty cluster keeps its size and key this long',
    parse: (text) => integer(text, 0, 30 * 24 * 3_600_000),
  },
  {
    flag: 'max-clusters',
    env: 'TABKEEPER_MAX_CLUSTERS',
    key: 'maxClusters',
    help: 'clusters remembered at once; the longest-empty is forgotten first',
    parse: (text) => integer(text, 1, 10_000_000),
  },
  {
    flag: 'failure-burst',
    env: 'TABKEEPER_FAILURE_BURST',
    key: 'failureBurst',
    help: 'missed joins/attaches per connection, address or cluster at once',
    parse: (text) => integer(text, 1, 1_000_000),
  },
  {
    flag: 'failures-per-minute',
    env: 'TABKEEPER_FAILURES_PER_MINUTE',
    key: 'failuresPerMinute',
    help: 'missed joins/attaches earned back per minute',
    parse: (text) => integer(text, 1, 1_000_000),
  },
  {
    flag: 'seat-grace-ms',
    env: 'TABKEEPER_SEAT_GRACE_MS',
    key: 'seatGraceMs',
    help: 'seats of a restarted or dead server stay reserved for their tabs this long',
    parse: (text) => integer(text, 0, 3_600_000),
  },
  { flag: 'public-url', env: 'TABKEEPER_PUBLIC_URL', key: 'publicUrl', help: 'this server\'s URL as tabs reach it (default: its listening URL)', parse: httpUrl },
  {
    flag: 'signaling-urls',
    env: 'TABKEEPER_SIGNALING_URLS',
    key: 'signalingUrls',
    help: 'comma-separated signaling server URLs tabs may move to',
    parse: (text) => text.split(',').map((url) => url.trim()).filter((url) => url !== '').map(httpUrl),
  },
  {
    flag: 'zk-port',
    env: 'TABKEEPER_ZK_PORT',
    key: 'zkPort',
    help: 'port for ZooKeeper clients (0: any free port, off: none)',
    parse: (text) => (text === 'off' ? null : integer(text, 0, 65535)),
  },
  {
    flag: 'zk-cluster',
    env: 'TABKEEPER_ZK_CLUSTER',
    key: 'zkCluster',
    help: 'the cluster every ZooKeeper client reaches (default: the connect string\'s chroot names it)',
    parse: (text) => nonEmpty(text),
  },
  { flag: 'zk-key', env: 'TABKEEPER_ZK_KEY', key: 'zkKey', help: 'join key the ZooKeeper listener presents', parse: (text) => nonEmpty(text) },
];

export type ParsedOptions = { readonly kind: 'run'; readonly options: ServerOptions } | { readonly kind: 'help'; readonly text: string };

/** Parses argv (without node and the script) and the environment. Throws an Error with a readable message on bad input. */
export function parseServerOptions(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ParsedOptions {
  const flags: Record<string, { type: 'string' } | { type: 'boolean' }> = { help: { type: 'boolean' } };
  for (const spec of SPECS) flags[spec.flag] = { type: 'string' };
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: [...argv], options: flags, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new Error(`${(error as Error).message}\n\n${usage()}`);
  }
  if (values.help === true) return { kind: 'help', text: usage() };
  const options: Record<string, unknown> = { ...DEFAULT_OPTIONS };
  for (const spec of SPECS) {
    const flagValue = values[spec.flag];
    const text = typeof flagValue === 'string' ? flagValue : env[spec.env];
    if (text === undefined || text === '') continue;
    try {
      options[spec.key] = spec.parse(text);
    } catch (error) {
      const source = typeof flagValue === 'string' ? `--${spec.flag}` : spec.env;
      throw new Error(`${source}: ${(error as Error).message}`);
    }
  }
  return { kind: 'run', options: options as unknown as ServerOptions };
}

export function usage(): string {
  const lines = ['Usage: npm run signaling -- [options]', '', 'Options (flag, environment variable, meaning, default):'];
  for (const spec of SPECS) {
    const fallback = DEFAULT_OPTIONS[spec.key];
    lines.push(`  --${spec.flag.padEnd(21)} ${spec.env.padEnd(31)} ${spec.help}${fallback === null ? '' : ` [${String(fallback)}]`}`);
  }
  lines.push(`  --${'help'.padEnd(21)} ${''.padEnd(31)} this text`);
  return lines.join('\n');
}

function nonEmpty(text: string): string {
  if (text.trim() === '') throw new Error('must not be empty');
  return text;
}

function integer(text: string, min: number, max: number): number {
  if (!/^-?\d+$/.test(text.trim())) throw new Error(`expected an integer, got '${text}'`);
  const value = Number(text);
  if (value < min || value > max) throw new Error(`must be between ${min} and ${max}, got ${value}`);
  return value;
}

function oneOf<T extends string>(text: string, choices: readonly T[]): T {
  const found = choices.find((choice) => choice === text);
  if (found === undefined) throw new Error(`expected one of ${choices.join(', ')}, got '${text}'`);
  return found;
}

function httpUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new Error(`not a URL: '${text}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`expected http:// or https://, got '${text}'`);
  if (url.pathname !== '/' || url.search !== '') throw new Error(`expected a URL without a path (the server's origin), got '${text}'`);
  return url.origin;
}

function redisUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`not a URL: '${text}'`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new Error(`expected redis:// or rediss://, got '${text}'`);
  return text;
}
