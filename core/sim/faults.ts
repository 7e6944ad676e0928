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
  if (all.length < 2 && kind !== null && kind !== 'crash' && kind !== 'crashMany' && kind !== 'close' && kind !== 'restart') return `${kind}: one server`;
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
  }
}
