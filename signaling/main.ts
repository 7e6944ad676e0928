/**
 * `npm run signaling -- [options]`: starts the signaling server (see options.ts, or --help).
 * Stops gracefully on SIGINT / SIGTERM: tabs are disconnected (they keep their seats and come back), then
 * the port and Redis are closed. A second signal, or a shutdown longer than 10 s, exits at once.
 */
import { createLogger } from './logger.ts';
import { parseServerOptions } from './options.ts';
import { SignalingServer } from './server.ts';
import { startZooKeeperListener } from '../zookeeper/start.ts';

const SHUTDOWN_LIMIT_MS = 10_000;

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseServerOptions(process.argv.slice(2), process.env);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  if (parsed.kind === 'help') {
    process.stdout.write(`${parsed.text}\n`);
    return 0;
  }
  const { options } = parsed;
  const logger = createLogger({ level: options.logLevel, format: options.logFormat });
  // A stray rejection (a library's unhandled promise) must not take every tab's signaling down.
  process.on('unhandledRejection', (reason) => logger.error('unhandled rejection', { error: String(reason) }));
  let server: SignalingServer;
  try {
    server = await SignalingServer.start({ ...options, logger });
  } catch (error) {
    logger.error('failed to start', { error: (error as Error).message });
    return 1;
  }
  const zookeeper = await startZooKeeperListener(options, server.url, logger);
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        logger.warn('second signal; exiting now', { signal });
        resolve(1);
        return;
      }
      stopping = true;
      logger.info('signal received', { signal });
      setTimeout(() => {
        logger.error('shutdown took too long; exiting', { limitMs: SHUTDOWN_LIMIT_MS });
        resolve(1);
      }, SHUTDOWN_LIMIT_MS).unref();
      Promise.all([server.close(), zookeeper?.close()]).then(
        () => resolve(0),
        (error: Error) => {
          logger.error('shutdown failed', { error: error.message });
          resolve(1);
        },
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

process.exit(await main());
