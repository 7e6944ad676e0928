import { formatZxid, type Zxid } from '../../../core/zxid.ts';

/**
 * Message kinds grouped the way a person follows the protocol: one colour and one filter per
 * group, the same in the cluster picture, the feed and the replay.
 */
export const CATEGORIES = ['election', 'discovery', 'sync', 'proposal', 'ack', 'commit', 'heartbeat', 'other'] as const;
export type Category = (typeof CATEGORIES)[number];

const CATEGORY_OF: Readonly<Record<string, Category>> = {
  election: 'election',
  higher_id: 'election',
  lower_id: 'election',
  coordinator: 'election',
  FOLLOWERINFO: 'discovery',
  NEWEPOCH: 'discovery',
  ACKEPOCH: 'discovery',
  DIFF: 'sync',
  TRUNC: 'sync',
  SNAP: 'sync',
  NEWLEADER: 'sync',
  ACKNEWLEADER: 'sync',
  UPTODATE: 'sync',
  transaction_request: 'proposal',
  transaction_proposal: 'proposal',
  inform: 'proposal',
  transaction_acknowledge: 'ack',
  transaction_commit: 'commit',
  PING: 'heartbeat',
  PONG: 'heartbeat',
};

export const CATEGORY_LABEL: Readonly<Record<Category, string>> = {
  election: 'election',
  discovery: 'discovery',
  sync: 'sync',
  proposal: 'proposals',
  ack: 'acks',
  commit: 'commits',
  heartbeat: 'heartbeats',
  other: 'other',
};

export function kindOf(message: unknown): string {
  if (typeof message === 'object' && message !== null && typeof (message as { kind?: unknown }).kind === 'string') {
    return (message as { kind: string }).kind.slice(0, 40);
  }
  return 'junk';
}

export function categoryOf(kind: string): Category {
  return CATEGORY_OF[kind] ?? 'other';
}

function zxidText(value: unknown): string {
  if (typeof value === 'object' && value !== null && 'epoch' in value && 'counter' in value) return formatZxid(value as Zxid);
  return '?';
}

/** One short line for a message: its kind and the epochs and zxids it carries. */
export function summarize(message: unknown): string {
  if (typeof message !== 'object' || message === null) return 'junk';
  const m = message as Record<string, unknown>;
  const kind = kindOf(message);
  const epoch = typeof m.epoch === 'number' ? ` e${m.epoch}` : '';
  switch (kind) {
    case 'election':
    case 'higher_id':
    case 'lower_id':
    case 'coordinator': {
      const rank = m.rank as { currentEpoch?: number; lastZxid?: unknown } | undefined;
      return `${kind} rank e${rank?.currentEpoch ?? '?'} ${zxidText(rank?.lastZxid)}${kind === 'coordinator' && m.leading === true ? ' leading' : ''}`;
    }
    case 'FOLLOWERINFO':
    case 'ACKEPOCH':
      return `${kind}${epoch} last ${zxidText(m.lastZxid)}`;
    case 'DIFF': {
      const proposals = Array.isArray(m.proposals) ? m.proposals : [];
      return `DIFF${epoch} ${proposals.length} after ${zxidText(m.prevZxid)}`;
    }
    case 'TRUNC':
    case 'NEWLEADER':
    case 'ACKNEWLEADER':
    case 'transaction_acknowledge':
    case 'transaction_commit':
      return `${kind}${epoch} ${zxidText(m.zxid)}`;
    case 'SNAP':
      return `SNAP${epoch} at ${zxidText(m.zxid)}`;
    case 'UPTODATE':
      return `UPTODATE${epoch} committed ${zxidText(m.committedZxid)}`;
    case 'transaction_proposal':
    case 'inform':
      return `${kind}${epoch} ${zxidText((m.proposal as { zxid?: unknown } | undefined)?.zxid)}`;
    default:
      return `${kind}${epoch}`;
  }
}
