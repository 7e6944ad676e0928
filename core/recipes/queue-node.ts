import type { TabKeeperClient } from '../client/tabkeeper-client.ts';
import { ZooKeeperError } from '../client/errors.ts';

/**
 * The part the lock and the election share (ZooKeeper's recipes): every contender owns one
 * ephemeral sequential child of `parent`, named with its session id so that it can find it again
 * when a create's outcome was lost with the connection; the lowest sequence number wins, and each
 * other contender watches only the child just before its own (no herd effect).
 */
export class QueueNode {
  /** Full path of this contender's child, once created. */
  path: string | null = null;

  constructor(
    private readonly client: TabKeeperClient,
    private readonly parent: string,
  ) {}

  private get prefix(): string {
    return `${this.client.sessionId}-n-`;
  }

  /** Creates the parent (if needed) and this contender's child, surviving ConnectionLoss. */
  async enqueue(data = ''): Promise<string> {
    await ignoring(this.client.create(this.parent, ''), 'NodeExists');
    while (this.path === null) {
      try {
        this.path = await this.client.create(`${this.parent}/${this.prefix}`, data, { ephemeral: true, sequential: true });
      } catch (error) {
        if (!isCode(error, 'ConnectionLoss') && !isCode(error, 'OperationTimeout')) throw error;
        // The create may have happened: look for our own child before creating another.
        const children = await retrying(() => this.client.getChildren(this.parent, { sync: true }));
        const mine = children.find((child) => child.startsWith(this.prefix));
        if (mine) this.path = `${this.parent}/${mine}`;
      }
    }
    return this.path;
  }

  /**
   * Resolves once this child is the lowest; until then waits on the watch of its predecessor.
   * Rejects with the client's error if the session is lost (then the child is gone too).
   */
  async waitUntilFirst(): Promise<void> {
    for (;;) {
      const children = sortBySequence(await retrying(() => this.client.getChildren(this.parent, { sync: true })));
      const name = this.path!.slice(this.parent.length + 1);
      const index = children.indexOf(name);
      if (index < 0) throw new ZooKeeperError('SessionExpired', this.path);
      if (index === 0) return;
      const predecessor = `${this.parent}/${children[index - 1]}`;
      let fire!: () => void;
      const changed = new Promise<void>((resolve) => (fire = resolve));
      const stat = await retrying(() => this.client.exists(predecessor, { watch: () => fire() }));
      if (stat !== null) await changed;
    }
  }

  /** Deletes this contender's child. */
  async dequeue(): Promise<void> {
    const path = this.path;
    this.path = null;
    if (path !== null) await ignoring(retrying(() => this.client.delete(path)), 'NoNode');
  }
}

/** Sequence number order: names are `<session>-n-<10 digits>`, so compare the suffix only. */
export function sortBySequence(children: readonly string[]): string[] {
  return [...children].sort((a, b) => sequenceOf(a) - sequenceOf(b));
}

function sequenceOf(name: string): number {
  return Number(name.slice(-10));
}

function isCode(error: unknown, code: string): boolean {
  return error instanceof ZooKeeperError && error.code === code;
}

async function ignoring<T>(promise: Promise<T>, code: string): Promise<T | null> {
  try {
    return await promise;
  } catch (error) {
    if (isCode(error, code)) return null;
    throw error;
  }
}

/** Retries an idempotent call after ConnectionLoss, as long as the session lives. */
export async function retrying<T>(call: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await call();
    } catch (error) {
      if (!isCode(error, 'ConnectionLoss') && !isCode(error, 'OperationTimeout')) throw error;
    }
  }
}
