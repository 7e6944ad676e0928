import type { TabKeeperClient } from '../client/tabkeeper-client.ts';
import { QueueNode } from './queue-node.ts';

/**
 * ZooKeeper's distributed lock recipe on the public client API: ephemeral sequential children of
 * the lock node, the lowest holds the lock, each waiter watches only its predecessor. A holder
 * whose session expires loses its child, and with it the lock, to the next waiter.
 *
 * A holder must treat the lock as lost as soon as its client is not CONNECTED: once
 * disconnected it cannot know whether its session has expired (`isHeld` says so).
 */
export class DistributedLock {
  private readonly node: QueueNode;
  private acquired = false;

  constructor(
    private readonly client: TabKeeperClient,
    readonly lockPath: string,
  ) {
    this.node = new QueueNode(client, lockPath);
  }

  get isHeld(): boolean {
    return this.acquired && this.client.state === 'CONNECTED';
  }

  async acquire(): Promise<void> {
    await this.node.enqueue();
    await this.node.waitUntilFirst();
    this.acquired = true;
  }

  async release(): Promise<void> {
    this.acquired = false;
    await this.node.dequeue();
  }
}
