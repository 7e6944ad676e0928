import type { GatewayOp, GatewayResult } from '../cli/gateway-ops.ts';

/**
 * What the client app exposes on `window.tabkeeper` (the page contract the e2e tests code
 * against). Declared here, not as a global, so that `core/` keeps no DOM or window types.
 */
export type ServerState = 'LOOKING' | 'FOLLOWING' | 'LEADING' | 'OBSERVING' | 'STARTING' | 'FAILED';

export interface TabStatus {
  readonly cluster: string;
  readonly size: number;
  readonly seat: number | null;
  readonly state: ServerState;
  readonly serving: boolean;
  readonly leader: number | null;
  readonly currentEpoch: number;
  /** "epoch:counter" */
  readonly lastZxid: string;
  readonly committedZxid: string;
  readonly peers: number[];
  /** What IndexedDB held when the tab booted, before any sync; null for a fresh seat. */
  readonly restored: { readonly lastZxid: string; readonly committedZxid: string } | null;
  readonly error: string | null;
}

export interface TabKeeperPage {
  status(): TabStatus;
  run(op: GatewayOp): Promise<GatewayResult>;
  history(): unknown[];
}

/** The page's global object as the tests see it inside `page.evaluate`. */
export interface PageGlobals {
  readonly tabkeeper?: TabKeeperPage;
}

/** A zxid "e:c" as a pair, for ordering. */
export interface Zxid {
  readonly epoch: number;
  readonly counter: number;
}

export function parseZxid(text: string): Zxid {
  const match = /^(\d+):(\d+)$/.exec(text);
  if (match === null) throw new Error(`not a zxid "epoch:counter": ${JSON.stringify(text)}`);
  return { epoch: Number(match[1]), counter: Number(match[2]) };
}

export function compareZxid(a: string, b: string): number {
  const left = parseZxid(a);
  const right = parseZxid(b);
  return left.epoch === right.epoch ? left.counter - right.counter : left.epoch - right.epoch;
}
