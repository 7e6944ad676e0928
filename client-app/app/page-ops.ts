import { MAX_DATA_LENGTH, type GatewayOp } from '../../protocol/gateway-ops.ts';
import { MAX_DATA_BYTES, utf8ByteLength } from '../../core/tree/limits.ts';
import { parseGatewayOp } from './gateway-sessions.ts';

/**
 * The operations the page's own `run()` takes: the CLI's (protocol/gateway-ops.ts), except that data
 * may be as large as core takes (1 MiB, ZooKeeper's jute.maxbuffer). The CLI's 60 KiB bound is
 * the signaling relay's, and nothing relays the page's requests: they go straight to its node.
 * Null if the op is invalid.
 */
export function parsePageOp(input: unknown): GatewayOp | null {
  const data = largeData(input);
  if (data === null) return parseGatewayOp(input);
  if (utf8ByteLength(data) > MAX_DATA_BYTES) return null;
  // Everything but the data is checked as the gateway checks it.
  const parsed = parseGatewayOp({ ...(input as object), data: '' });
  if (parsed === null || !('data' in parsed)) return null;
  return { ...parsed, data };
}

/** The op's data if it is a string above the gateway's bound, else null. */
function largeData(input: unknown): string | null {
  if (typeof input !== 'object' || input === null || !('data' in input)) return null;
  const data = (input as { data: unknown }).data;
  return typeof data === 'string' && data.length > MAX_DATA_LENGTH ? data : null;
}
