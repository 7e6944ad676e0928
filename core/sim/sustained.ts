import { quorumSize } from '../quorum.ts';
import type { ServerId } from '../types.ts';
import type { SimCluster } from './cluster.ts';
import type { Prng } from './prng.ts';

/**
 * `--load sustained` (issue 10): clients write back to back while servers crash, close and
 * restart, and every restarted server must serve again within a bound. Faults here never take
 * away a quorum of voters, so writers are never paused by the schedule itself, only by the
 * failovers it causes; a rejoining server must therefore catch up while the log keeps growing.
 */
export class RejoinWatch {
  /** Servers restarted and not yet serving: when they were started. */
  private readonly restarted = new Map<ServerId, number>();
  /** The slowest rejoin seen so far (ms), for the report. */
  slowestMs = 0;
  rejoins = 0;
  /**
   * Whether any server has served yet. A brand-new cluster is founded only by all of its voter
   * seats, blank, together (core/admission.ts: a quorum of blank storages could be a quorum that
   * lost its disks), so while a voter is down before the founding nobody can serve and no rejoin
   * clock runs. Whether the founding itself happens is the liveness phase's check.
   */
  private founded = false;

  constructor(
    private readonly cluster: SimCluster,
    readonly boundMs: number,
  ) {}

  started(sid: ServerId): void {
    this.restarted.set(sid, this.cluster.world.now);
  }

  stopped(sid: ServerId): void {
    this.restarted.delete(sid);
  }

  /** Whether `sid` was restarted and has not served since (as the last `overdue` saw it). */
  rejoining(sid: ServerId): boolean {
    return this.restarted.has(sid);
  }

  /** The first server that has not served within the bound since its restart, or null. Forgets servers that serve. */
  overdue(): { readonly sid: ServerId; readonly waitedMs: number } | null {
    const now = this.cluster.world.now;
    this.founded ||= this.cluster.sids().some((sid) => this.cluster.node(sid)?.serving === true);
    if (!this.founded) {
      for (const sid of this.restarted.keys()) this.restarted.set(sid, now);
      return null;
    }
    for (const [sid, since] of this.restarted) {
      if (this.cluster.node(sid)?.serving) {
        this.restarted.delete(sid);
        this.rejoins++;
        this.slowestMs = Math.max(this.slowestMs, now - since);
      } else if (now - since > this.boundMs) {
        return { sid, waitedMs: now - since };
      }
    }
    return null;
  }
}

/**
 * One fault of the sustained schedule: a running server crashes or closes while fewer voters
 * than the quorum allows are out (observers any time), otherwise a down server restarts. A voter
 * restarted and not serving yet counts as out: until it has synced (and, if its storage came
 * back blank, been admitted again by a committed seat record) it is no part of a quorum, so
 * stopping another voter then would take the quorum away (seed 208 of `--load sustained`: server
 * 1 came back blank, 2 crashed before 1 was admitted, and 1 could not serve until 3 returned).
 */
export function injectSustainedFault(cluster: SimCluster, prng: Prng, watch: RejoinWatch): string {
  const voters = cluster.options.voters;
  const down = cluster.sids().filter((sid) => !cluster.isRunning(sid));
  const votersDown = cluster.sids().filter((sid) => sid <= voters && (!cluster.isRunning(sid) || watch.rejoining(sid))).length;
  const mayStop = cluster.running().filter((sid) => sid > voters || votersDown < voters - quorumSize(voters));
  if (mayStop.length > 0 && (down.length === 0 || prng.chance(0.5))) {
    const sid = prng.pick(mayStop);
    watch.stopped(sid);
    if (prng.chance(0.5)) {
      cluster.crash(sid);
      return `crash ${sid}`;
    }
    cluster.close(sid);
    return `close ${sid}`;
  }
  if (down.length === 0) return 'no fault';
  const sid = prng.pick(down);
  cluster.start(sid);
  watch.started(sid);
  return `restart ${sid} (must serve within ${watch.boundMs} ms)`;
}
