import zookeeper from 'node-zookeeper-client';
import type { Client, Event, Stat } from 'node-zookeeper-client';
import { withTimeout } from '../../lib/deadline.ts';

/**
 * node-zookeeper-client (an independent ZooKeeper client from npm) with promises, for tests. Its
 * errors are its own Exception objects; `code` of a rejection is ZooKeeper's numeric error code.
 */
export class Nzk {
  readonly events: Event[] = [];
  readonly states: string[] = [];

  private constructor(readonly client: Client) {
    client.on('state', (state) => this.states.push(String(state)));
  }

  static async connect(connectString: string, sessionTimeoutMs = 10_000): Promise<Nzk> {
    const client = zookeeper.createClient(connectString, { sessionTimeout: sessionTimeoutMs, spinDelay: 200, retries: 0 });
    const wrapped = new Nzk(client);
    const connected = new Promise<void>((resolve) => client.once('connected', () => resolve()));
    client.connect();
    await withTimeout(connected, 20_000, () => {
      throw new Error(`node-zookeeper-client did not connect to ${connectString}`);
    });
    return wrapped;
  }

  create(path: string, data: string | null, mode: number = zookeeper.CreateMode.PERSISTENT): Promise<string> {
    return call((done) => this.client.create(path, data === null ? (null as unknown as Buffer) : Buffer.from(data), mode, done));
  }

  getData(path: string, watch = false): Promise<{ data: string; stat: Stat }> {
    return new Promise((resolve, reject) => {
      const done = (error: unknown, data: Buffer, stat: Stat) => (error ? reject(error) : resolve({ data: data === null || data === undefined ? '' : data.toString('utf8'), stat }));
      if (watch) this.client.getData(path, (event) => this.events.push(event), done);
      else this.client.getData(path, done);
    });
  }

  setData(path: string, data: string, version = -1): Promise<Stat> {
    return call((done) => this.client.setData(path, Buffer.from(data), version, done));
  }

  exists(path: string, watch = false): Promise<Stat | null> {
    return new Promise((resolve, reject) => {
      const done = (error: unknown, stat: Stat) => (error ? reject(error) : resolve(stat ?? null));
      if (watch) this.client.exists(path, (event) => this.events.push(event), done);
      else this.client.exists(path, done);
    });
  }

  getChildren(path: string, watch = false): Promise<{ children: string[]; stat: Stat }> {
    return new Promise((resolve, reject) => {
      const done = (error: unknown, children: string[], stat: Stat) => (error ? reject(error) : resolve({ children: [...children].sort(), stat }));
      if (watch) this.client.getChildren(path, (event) => this.events.push(event), done);
      else this.client.getChildren(path, done);
    });
  }

  remove(path: string, version = -1): Promise<void> {
    return call((done) => this.client.remove(path, version, (error) => done(error, undefined)));
  }

  /** Commits a transaction built by `build`; resolves with node-zookeeper-client's per-op results. */
  multi(build: (transaction: ReturnType<Client['transaction']>) => void): Promise<unknown[]> {
    const transaction = this.client.transaction();
    build(transaction);
    return call((done) => transaction.commit(done));
  }

  sessionIdHex(): string {
    return this.client.getSessionId().toString('hex');
  }

  close(): void {
    this.client.close();
  }
}

export const CreateMode = zookeeper.CreateMode;

/** The numeric ZooKeeper code of a node-zookeeper-client error, or null. */
export function codeOf(error: unknown): number | null {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'number' ? error.code : null;
}

function call<T>(run: (done: (error: unknown, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => run((error, value) => (error ? reject(error) : resolve(value))));
}
