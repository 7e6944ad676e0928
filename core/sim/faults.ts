import { quorumSize } from '../quorum.ts';
import { admits, recordInPersistedState } from '../seats.ts';
import type { PersistedState } from '../storage.ts';
import type { ServerId } from '../types.ts';
import type { SimCluster } from './cluster.ts';
import type { Prng } from './prng.ts';
import { FAULT_KINDS, type FaultKind } from './swarm.ts';

function pickWeighted(prng: Prng, weights: Readonly<Record<FaultKind, number>>): FaultKind | null {
  let total = 0;
  for (const kind of FAULT_KINDS) total += weights[kind];
  if (total === 0) return null;
  let roll = prng.next() * total;
  for (const kind of FAULT_KINDS) {
    roll -= weights[kind];
    if (roll < 0) return kind;
  }
  return FAULT_KINDS[FAULT_KINDS.length - 1]!;
}

function twoDistinct(prng: Prng, sids: readonly ServerId[]): [ServerId, ServerId] {
  const [a, b] = prng.shuffle([...sids]);
  return [a!, b!];
}

/**
 * Injects one random fault of a weighted kind and says what it did, for the trace. Faults are
 * the cluster's and the network's own methods; any server may be hit, voters and observers alike.
 */
export function injectFault(cluster: SimCluster, prng: Prng, weights: Readonly<Record<FaultKind, number>>): string {
  const kind = pickWeighted(prng, weights);
  const all = cluster.sids();
  const running = cluster.running();
  const down = all.filter((sid) => !cluster.isRunning(sid));
  const network = cluster.network;
  // Network faults need two servers; a one-server cluster only crashes and restarts.
  const local = new Set<FaultKind | null>([null, 'crash', 'crashMany', 'close', 'restart', 'wipe', 'rollback']);
  if (all.length < 2 && !local.has(kind)) return `${kind}: one server`;
  switch (kind) {
    case null:
      return 'no fault';
    case 'crash':
    case 'close': {
      if (running.length === 0) return `${kind}: nothing running`;
      const sid = prng.pick(running);
      if (kind === 'crash') cluster.crash(sid);
      else cluster.close(sid);
      return `${kind} ${sid}`;
    }
    case 'crashMany': {
      // Correlated failure (a power cut, a browser killed with all its tabs): writes in flight
      // on several servers at once land or not, independently.
      if (running.length === 0) return 'crashMany: nothing running';
      const victims = prng.shuffle([...running]).slice(0, prng.int(Math.min(2, running.length), running.length));
      for (const sid of victims) cluster.crash(sid);
      return `crash ${victims.join(' ')}`;
    }
    case 'restart': {
      if (down.length === 0) return 'restart: nothing down';
      const sid = prng.pick(down);
      cluster.start(sid);
      return `restart ${sid}`;
    }
    case 'partition': {
      const shuffled = prng.shuffle([...all]);
      const cut = prng.int(1, shuffled.length - 1);
      const groups = [shuffled.slice(0, cut), shuffled.slice(cut)];
      const notify = prng.chance(0.5);
      network.partition(groups, { notify });
      return `partition ${groups.map((group) => group.join(' ')).join(' | ')}${notify ? ' (notified)' : ''}`;
    }
    case 'isolate': {
      const sid = prng.pick(all);
      network.partition([[sid], all.filter((other) => other !== sid)], { notify: false });
      return `isolate ${sid}`;
    }
    case 'cutOneWay': {
      const [from, to] = twoDistinct(prng, all);
      network.cutOneWay(from, to);
      return `cut one way ${from}->${to}`;
    }
    case 'cutLink': {
      const [a, b] = twoDistinct(prng, all);
      const notify = prng.chance(0.5);
      network.cut(a, b, { notify });
      return `cut ${a}<->${b}${notify ? ' (notified)' : ''}`;
    }
    case 'restoreLink': {
      const [a, b] = twoDistinct(prng, all);
      network.restore(a, b);
      return `restore ${a}<->${b}`;
    }
    case 'heal':
      network.heal();
      return 'heal';
    case 'wipe':
      return wipe(cluster, prng);
    case 'rollback':
      return rollBack(cluster, prng);
  }
}

/**
 * The storage faults are bounded by what recovery before voting claims (core/seats.ts): at most
 * N - quorum voting seats are amnesiac (not yet re-admitted) at once, so a quorum of recorded
 * storages can always meet again; beyond that the cluster refuses to serve (a scenario test shows
 * it) and only the UNSAFE forced recovery goes on, losing writes. Observers never vote: any may be hit.
 */
function mayLoseStorage(cluster: SimCluster, sid: ServerId): boolean {
  const voters = cluster.options.voters;
  if (sid > voters) return true;
  const amnesiac = new Set(cluster.checker.amnesiacSeats().filter((seat) => seat <= voters));
  // A seat counts as re-admitted only once a quorum of voters' durable storages hold a record that
  // names its storage: a record one server proposed (or holds alone) may never commit, and the
  // seat would then still be amnesiac for the ensemble.
  const records = cluster.sids().filter((each) => each <= voters).map((each) => recordInPersistedState(cluster.storage(each).state()));
  for (let seat = 1; seat <= voters; seat++) {
    const storage = cluster.storage(seat);
    const identity = { storageId: storage.id, currentEpoch: storage.state().currentEpoch };
    if (records.filter((record) => admits(record, seat, identity)).length < quorumSize(voters)) amnesiac.add(seat);
  }
  amnesiac.add(sid);
  return amnesiac.size <= voters - quorumSize(voters);
}

function wipe(cluster: SimCluster, prng: Prng): string {
  const candidates = cluster.sids().filter((sid) => mayLoseStorage(cluster, sid));
  if (candidates.length === 0) return 'wipe: too many seats amnesiac already';
  const sid = prng.pick(candidates);
  // The tab goes away and a tab with a blank storage takes its seat, now or later.
  cluster.crash(sid);
  cluster.wipe(sid);
  const restart = prng.chance(0.6);
  if (restart) cluster.start(sid);
  return `wipe ${sid}${restart ? ' and restart' : ''}`;
}

/**
 * A rolled-back copy is recognised only by servers whose record holds a later entry for that
 * storage (core/seats.ts): the fault picks a copy from before the epoch in which every other
 * voter's durable record last recorded the storage. A rollback within that epoch, or one a
 * lagging voter cannot recognise, is outside the claim (and would lose acked writes in ZAB, as
 * in Raft).
 */
function rollBack(cluster: SimCluster, prng: Prng): string {
  const options: { sid: ServerId; copy: PersistedState }[] = [];
  for (const sid of cluster.sids()) {
    // A backup is restored into a seat whose tab has been gone a while: acks its old incarnation
    // sent before the rollback (still in flight, or counted) were true when sent.
    if (cluster.downForMs(sid) < ROLLBACK_AFTER_DOWN_MS || !mayLoseStorage(cluster, sid)) continue;
    for (const copy of cluster.storage(sid).keptCopies()) if (recognised(cluster, sid, copy)) options.push({ sid, copy });
  }
  if (options.length === 0) return 'rollback: no copy the ensemble would recognise';
  const { sid, copy } = prng.pick(options);
  cluster.rollBack(sid, copy);
  const restart = prng.chance(0.6);
  if (restart) cluster.start(sid);
  return `rollback ${sid} to a copy of epoch ${copy.currentEpoch}${restart ? ' and restart' : ''}`;
}

const ROLLBACK_AFTER_DOWN_MS = 2000;

function recognised(cluster: SimCluster, sid: ServerId, copy: PersistedState): boolean {
  const voters = cluster.options.voters;
  if (sid > voters) return true;
  const storageId = cluster.storage(sid).id;
  for (let other = 1; other <= voters; other++) {
    if (other === sid) continue;
    const entry = recordInPersistedState(cluster.storage(other).state()).get(sid);
    if (entry === undefined || entry.storageId !== storageId || entry.epoch <= copy.currentEpoch) return false;
  }
  return true;
}
