import { describe, expect, test } from 'vitest';
import { createLogger } from './logger.ts';
import { DEFAULT_OPTIONS, parseServerOptions } from './options.ts';

// Goal: every option comes from a flag or an environment variable, flags win, and bad values
// are refused with a message naming the flag or variable.
describe('server options', () => {
  test('defaults: port 3000, cluster size 3, info logs, no Redis', () => {
    expect(parseServerOptions([], {})).toEqual({ kind: 'run', options: DEFAULT_OPTIONS });
    expect(DEFAULT_OPTIONS).toMatchObject({ port: 3000, defaultClusterSize: 3, logLevel: 'info', redisUrl: null });
  });

  test('environment variables set options; flags override them', () => {
    const env = { TABKEEPER_PORT: '4000', TABKEEPER_HOST: '127.0.0.1', TABKEEPER_CLUSTER_SIZE: '5', TABKEEPER_LOG_LEVEL: 'debug' };
    const fromEnv = parseServerOptions([], env);
    expect(fromEnv).toMatchObject({ kind: 'run', options: { port: 4000, host: '127.0.0.1', defaultClusterSize: 5, logLevel: 'debug' } });
    const flags = ['--port', '0', '--cluster-size', '7', '--log-level', 'warn', '--log-format', 'json', '--redis', 'redis://127.0.0.1:6379'];
    expect(parseServerOptions(flags, env)).toMatchObject({
      kind: 'run',
      options: { port: 0, host: '127.0.0.1', defaultClusterSize: 7, logLevel: 'warn', logFormat: 'json', redisUrl: 'redis://127.0.0.1:6379' },
    });
    expect(parseServerOptions([], { TABKEEPER_REDIS_URL: 'redis://r:6379' })).toMatchObject({ options: { redisUrl: 'redis://r:6379' } });
  });

  test('failover options: the seat grace, this server\'s public URL and the other servers\' URLs', () => {
    expect(DEFAULT_OPTIONS).toMatchObject({ seatGraceMs: 10_000, publicUrl: null, signalingUrls: [] });
    const env = { TABKEEPER_SIGNALING_URLS: 'https://a.example:3001, https://b.example:3002/', TABKEEPER_SEAT_GRACE_MS: '0' };
    expect(parseServerOptions(['--public-url', 'https://a.example:3001'], env)).toMatchObject({
      options: { seatGraceMs: 0, publicUrl: 'https://a.example:3001', signalingUrls: ['https://a.example:3001', 'https://b.example:3002'] },
    });
  });

  test.each([
    [['--public-url', 'ws://x.example'], {}, "--public-url: expected http:// or https://, got 'ws://x.example'"],
    [['--public-url', 'https://x.example/app'], {}, '--public-url: expected a URL without a path'],
    [[], { TABKEEPER_SIGNALING_URLS: 'https://ok.example,nonsense' }, "TABKEEPER_SIGNALING_URLS: not a URL: 'nonsense'"],
    [[], { TABKEEPER_SEAT_GRACE_MS: '-1' }, 'TABKEEPER_SEAT_GRACE_MS: must be between 0 and 3600000, got -1'],
    [['--port', 'eighty'], {}, "--port: expected an integer, got 'eighty'"],
    [['--port', '70000'], {}, '--port: must be between 0 and 65535, got 70000'],
    [[], { TABKEEPER_CLUSTER_SIZE: '16' }, 'TABKEEPER_CLUSTER_SIZE: must be between 1 and 15, got 16'],
    [['--log-level', 'loud'], {}, "--log-level: expected one of debug, info, warn, error, silent, got 'loud'"],
    [['--redis', 'http://x'], {}, "--redis: expected redis:// or rediss://, got 'http://x'"],
    [['--colour'], {}, "Unknown option '--colour'"],
  ])('%j %j is refused: %s', (argv, env, message) => {
    expect(() => parseServerOptions(argv, env)).toThrow(message);
  });

  test('--help lists every option with its variable', () => {
    const parsed = parseServerOptions(['--help'], {});
    expect(parsed.kind).toBe('help');
    if (parsed.kind === 'help') expect(parsed.text).toMatch(/--redis\s+TABKEEPER_REDIS_URL/);
  });
});

describe('logger', () => {
  const now = () => new Date('2026-01-02T03:04:05.678Z');

  test('text lines are readable: time, level, message, key=value (quoted when needed)', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', format: 'text', write: (line) => lines.push(line), now });
    logger.info('seat claimed', { cluster: 'demo', seat: 2, reason: 'client namespace disconnect', none: undefined });
    logger.debug('dropped', {});
    expect(lines).toEqual(['2026-01-02T03:04:05.678Z INFO  seat claimed cluster=demo seat=2 reason="client namespace disconnect"']);
  });

  test('json lines carry the same fields, and levels below the threshold are dropped', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', format: 'json', write: (line) => lines.push(line), now });
    logger.info('hidden');
    logger.warn('payload refused', { event: 'join', code: 'invalid' });
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      { time: '2026-01-02T03:04:05.678Z', level: 'warn', msg: 'payload refused', event: 'join', code: 'invalid' },
    ]);
  });
});
