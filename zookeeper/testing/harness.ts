import { createLogger } from '../../signaling/logger.ts';
import { SignalingServer } from '../../signaling/server.ts';
import { ZooKeeperListener, type ZooKeeperListenerOptions } from '../listener.ts';
import { NodeCluster } from './node-cluster.ts';

/**
 * TEST HARNESS: the real signaling server and ZooKeeper listener on free ports, and a cluster
 * `demo` of three ZabNodes joined as tabs (node-cluster.ts). ZK_TEST_LOG=1 prints the logs.
 */
export interface Harness {
  readonly port: number;
  /** The connect string of cluster `demo` (chroot style). */
  readonly connect: string;
  readonly cluster: NodeCluster;
  readonly listener: ZooKeeperListener;
  stop(): Promise<void>;
}

export async function startHarness(options: { key?: string; listener?: Partial<ZooKeeperListenerOptions> } = {}): Promise<Harness> {
  const logger = createLogger({ level: process.env.ZK_TEST_LOG === '1' ? 'debug' : 'silent', format: 'text' });
  const signaling = await SignalingServer.start({ host: '127.0.0.1', port: 0, logger, seatGraceMs: 0 });
  const cluster = await NodeCluster.start(signaling.url, 'demo', options.key);
  const listener = await ZooKeeperListener.start({
    host: '127.0.0.1',
    port: 0,
    signalingUrl: signaling.url,
    cluster: null,
    key: null,
    logger,
    ...options.listener,
  });
  return {
    port: listener.port,
    connect: `127.0.0.1:${listener.port}/demo`,
    cluster,
    listener,
    stop: async () => {
      await listener.close();
      cluster.stop();
      await signaling.close();
    },
  };
}
