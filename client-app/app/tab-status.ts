import type { ZabNode } from '../../core/node.ts';
import type { ServerId } from '../../core/types.ts';
import { formatZxid, ZERO_ZXID } from '../../core/zxid.ts';
import type { FaultFilter } from '../transport/fault-filter.ts';
import type { WebRtcTransport } from '../transport/webrtc-transport.ts';
import type { TabStatus } from './page-contract.ts';

/** What a tab's status is read from: its parts, each null until boot reaches it. */
export interface TabStatusParts {
  readonly cluster: string;
  readonly keyed: boolean;
  readonly size: number;
  readonly seat: ServerId | null;
  readonly node: ZabNode | null;
  readonly filter: FaultFilter | null;
  readonly transport: WebRtcTransport | null;
  readonly restored: TabStatus['restored'];
  readonly failure: string | null;
}

/** The page contract's `status()` (page-contract.ts): what `window.tabkeeper.status()` answers. */
export function tabStatus(parts: TabStatusParts): TabStatus {
  const { node, transport, failure } = parts;
  // Read field by field: view() digests the whole tree, too costly for every refresh.
  const server = node?.inspect() ?? null;
  const view = server === null ? null : { state: server.state, leader: server.leader, currentEpoch: server.currentEpoch, lastZxid: server.log.lastZxid, committedZxid: server.committedZxid, admission: server.admission.view() };
  return {
    cluster: parts.cluster,
    size: parts.size,
    seat: parts.seat,
    state: failure !== null ? 'FAILED' : view === null ? 'STARTING' : view.state,
    serving: failure === null && (node?.serving ?? false),
    leader: view?.leader ?? null,
    currentEpoch: view?.currentEpoch ?? 0,
    lastZxid: formatZxid(view?.lastZxid ?? ZERO_ZXID),
    committedZxid: formatZxid(view?.committedZxid ?? ZERO_ZXID),
    peers: parts.filter?.openPeers() ?? [],
    peerAuth: {
      keyed: parts.keyed,
      failures: transport?.stats.authFailures ?? 0,
      lastFailure: transport?.stats.lastAuthFailure ?? null,
      dropped: transport?.stats.unauthenticatedDropped ?? 0,
      accepted: transport?.stats.messagesReceived ?? 0,
    },
    restored: parts.restored,
    error: failure,
    unsendable: transport?.stats.sendsOversized ?? 0,
    admission: view === null ? null : { ...view.admission, lost: [...view.admission.lost] },
  };
}
