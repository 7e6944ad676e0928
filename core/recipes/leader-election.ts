import type { TabKeeperClient } from '../client/tabkeeper-client.ts';
import { QueueNode } from './queue-node.ts';

/**
 * ZooKeeper's leader election recipe among clients: each candidate volunteers an ephemeral
 * sequential child of the election node; the lowest leads; the others watch their predecessor
 * and take over when it goes (its client resigned, or its session expired).
 */
export class LeaderElection {
  private readonly node: QueueNode;
  private leading = false;

  constructor(
    private readonly client: TabKeeperClient,
    readonly electionPath: string,
  ) {
    this.node = new QueueNode(client, electionPath);
  }

  /** Leads only while connected: a disconnected leader cannot know whether it was replaced. */
  get isLeader(): boolean {
    return this.leading && this.client.state === 'CONNECTED';
  }

  /** Volunteers with `data` (e.g. an address), and resolves once this candidate leads. */
  async campaign(data = ''): Promise<void> {
    await this.node.enqueue(data);
    await this.node.waitUntilFirst();
    this.leading = true;
  }

  async resign(): Promise<void> {
    this.leading = false;
    await this.node.dequeue();
  }
}
