/**
 * Which cluster a ZooKeeper path belongs to. ZooKeeper clients apply a connect string's chroot
 * themselves: `127.0.0.1:2181/demo` makes the client send `/demo/a` for `/a`. So, unless the
 * listener was started for one cluster (`--zk-cluster`), the first segment of every path names
 * the cluster and the rest is the path in that cluster: `/demo/a` is `/a` of cluster `demo`, and
 * `/demo` its root. Answers map back (a created path, a watch event's path).
 */
export interface ClusterPath {
  readonly cluster: string;
  readonly path: string;
}

const CLUSTER_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export class ClusterPaths {
  /** `fixedCluster` null: clusters come from the chroot (first path segment). */
  constructor(readonly fixedCluster: string | null) {}

  /** The cluster and path in it, or null when the path names no valid cluster. */
  toTab(path: string): ClusterPath | null {
    if (this.fixedCluster !== null) return { cluster: this.fixedCluster, path };
    if (!path.startsWith('/')) return null;
    const slash = path.indexOf('/', 1);
    const cluster = slash === -1 ? path.slice(1) : path.slice(1, slash);
    if (!CLUSTER_NAME.test(cluster)) return null;
    return { cluster, path: slash === -1 ? '/' : path.slice(slash) };
  }

  fromTab(cluster: string, path: string): string {
    if (this.fixedCluster !== null) return path;
    return path === '/' ? `/${cluster}` : `/${cluster}${path}`;
  }
}
