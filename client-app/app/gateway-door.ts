import type { GatewayResult } from '../../protocol/gateway-ops.ts';
import { isZkTabOp } from '../../protocol/zk-tab-ops.ts';
import type { ZabNode } from '../../core/node.ts';
import type { Json } from '../../core/types.ts';
import type { GatewaySessions } from './gateway-sessions.ts';
import type { SignalingLink } from './signaling-link.ts';
import { untilServing } from './until-serving.ts';
import type { ZooKeeperSessions } from './zookeeper-sessions.ts';

/** How long a CLI request waits for this tab to serve again before it answers ConnectionLoss. */
export const GATEWAY_WAIT_FOR_SERVING_MS = 5_000;

/** What a relayed request reaches in the tab: null until the node runs. */
export interface GatewayDoorParts {
  readonly node: ZabNode | null;
  readonly gateway: GatewaySessions | null;
  readonly zookeeper: ZooKeeperSessions | null;
  readonly signaling: SignalingLink | null;
}

/**
 * Answers one request relayed by the signaling server: a ZooKeeper listener's op
 * (protocol/zk-tab-ops.ts) in its ZooKeeper session, any other in the CLI's gateway session.
 *
 * A CLI request waits a little for this tab to serve (an election takes well under a second),
 * as a ZooKeeper client's requests wait while it reconnects: failing each at once would turn
 * every line a CLI sends during an election into a ConnectionLoss.
 */
export async function answerGateway(parts: () => GatewayDoorParts, request: { clientId: string; requestId: number; op: Json }): Promise<void> {
  const serving = await untilServing(parts().node, GATEWAY_WAIT_FOR_SERVING_MS);
  const { gateway, zookeeper } = parts();
  if (isZkTabOp(request.op) && zookeeper !== null && serving) {
    const answer = await zookeeper.run(request.clientId, request.op);
    parts().signaling?.gatewayReply(request.clientId, request.requestId, answer as unknown as Json);
    return;
  }
  const result: GatewayResult =
    gateway === null || !serving ? { ok: false, error: 'ConnectionLoss' } : await gateway.run(request.clientId, request.op);
  parts().signaling?.gatewayReply(request.clientId, request.requestId, result as unknown as Json);
}
