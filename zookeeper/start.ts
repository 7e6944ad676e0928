import type { Logger } from '../signaling/logger.ts';
import type { ServerOptions } from '../signaling/options.ts';
import { ZooKeeperListener } from './listener.ts';

/**
 * Starts the ZooKeeper listener next to the signaling server (signaling/main.ts), as a gateway
 * client of it over loopback. A port already taken (a local ZooKeeper on 2181) is logged, not
 * fatal: the tabs and the CLI do not need the listener.
 */
export async function startZooKeeperListener(options: ServerOptions, signalingUrl: string, logger: Logger): Promise<ZooKeeperListener | null> {
  if (options.zkPort === null) return null;
  const loopback = new URL(signalingUrl);
  if (loopback.hostname === '0.0.0.0' || loopback.hostname === '::') loopback.hostname = '127.0.0.1';
  try {
    return await ZooKeeperListener.start({
      host: options.host,
      port: options.zkPort,
      signalingUrl: loopback.origin,
      cluster: options.zkCluster,
      key: options.zkKey,
      logger,
    });
  } catch (error) {
    logger.error('zookeeper listener not started', { port: options.zkPort, error: (error as Error).message });
    return null;
  }
}
