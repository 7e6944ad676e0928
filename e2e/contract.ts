import { compareZxid as compareCoreZxid, parseZxid } from '../core/zxid.ts';

/** The page contract, as the client app declares it: one definition for the app and its tests. */
export type { TabKeeperPage, TabState as ServerState, TabStatus } from '../client-app/app/page-contract.ts';
import type { TabKeeperPage } from '../client-app/app/page-contract.ts';

/** The page's global object as the tests see it inside `page.evaluate`. */
export interface PageGlobals {
  readonly tabkeeper?: TabKeeperPage;
}

/** Orders two zxids as the page prints them ("epoch:counter"), with core's own parser and order. */
export function compareZxid(a: string, b: string): number {
  return compareCoreZxid(parseZxid(a), parseZxid(b));
}
