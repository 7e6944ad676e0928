/**
 * Which cluster a ZooKeeper path belongs to. ZooKeeper clients apply a connect string's chroot
 * themselves: `127.0.0.1:2181/demo` makes the client send `/demo/a` for `/a`. So, unless the
 * listener was started for one cluster (`--zk-cluster`), the first segment of every path names
 * the cluster and the rest is the path in that cluster: `/demo/a` is `/a` of cluster `demo`, and
 * `/demo` its root. `demo@2` pins the session to the tab at seat 2 (as the CLI's `--seat`):
 * `127.0.0.1:2181/demo@2`. Answers map back (a created path, a watch event's path).
 */
export interface ClusterPath {
  /** The first path segment as the client wrote it (`demo` or `demo@2`): one session uses one. */
  readonly root: string;
  readonly cluster: string;
  readonly seat: number | null;
  readonly path: string;
}

const ROOT = /^([A-Za-z0-9_-]{1,64})(?:@([1-9][0-9]{0,3}))?$/;

export class ClusterPaths {
  /** `fixedCluster` null: clusters come from the chroot (first path segment). */
  constructor(readonly fixedCluster: string | null) {}

  /** The cluster and path in it, or null when the path names no valid cluster. */
  toTab(path: string): ClusterPath | null {
    if (this.fixedCluster !== null) return { root: '', cluster: this.fixedCluster, seat: null, path };
    if (!path.startsWith('/')) return null;
    const slash = path.indexOf('/', 1);
    const root = slash === -1 ? path.slice(1) : path.slice(1, slash);
    const match = ROOT.exec(root);
    if (match === null) return null;
    return { root, cluster: match[1]!, seat: match[2] === undefined ? null : Number(match[2]), path: slash === -1 ? '/' : path.slice(slash) };
  }

  /** The cluster and pinned seat a root (`demo`, `demo@2`; '' with a fixed cluster) names, or null. */
  target(root: string): { cluster: string; seat: number | null } | null {
    if (this.fixedCluster !== null) return { cluster: this.fixedCluster, seat: null };
    const mapped = this.toTab(`/${root}`);
    return mapped === null ? null : { cluster: mapped.cluster, seat: mapped.seat };
  }

  /** The root of every session when the listener serves one cluster; null when the chroot names it. */
  get fixedRoot(): string | null {
    return this.fixedCluster === null ? null : '';
  }

  fromTab(root: string, path: string): string {
    if (this.fixedCluster !== null) return path;
    return path === '/' ? `/${root}` : `/${root}${path}`;
  }
}
