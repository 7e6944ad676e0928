import type { ApplyResult } from '../state-machine.ts';
import type { Json } from '../types.ts';
import { zxid } from '../zxid.ts';
import type { Zxid } from '../zxid.ts';
import { DataTree } from './data-tree.ts';
import type { TreeEvent } from './events.ts';
import type { Stat } from './stat.ts';
import type { TreeTxn, WriteRequest } from './index.ts';

/**
 * A leader of one: prepares each request on its tree and applies the txn right after, with the
 * next zxid of epoch 1 and a time the test chooses, as the ZAB core does on its speculative copy.
 * For the tree's tests; nothing in production uses it.
 */
export class TreeHarness {
  readonly tree = new DataTree();
  /** The zxid counter of the last write: write number n gets zxid 1:n. */
  counter = 0;

  /** `checkInvariants` walks the whole tree after every write: turn it off to build big trees. */
  constructor(private readonly options: { readonly checkInvariants: boolean } = { checkInvariants: true }) {}

  write(request: WriteRequest, timeMs = 1000 + this.counter + 1): { txn: TreeTxn; result: ApplyResult; events: readonly TreeEvent[]; zxid: Zxid } {
    const problem = this.tree.validateOp(request);
    if (problem !== null) throw new Error(`test request refused by validateOp: ${problem}`);
    const txn = this.tree.prepare(request, { timeMs }) as TreeTxn;
    this.counter++;
    const at = zxid(1, this.counter);
    const applied = this.tree.apply(txn, at);
    if (this.options.checkInvariants) this.tree.invariants();
    return { txn, result: applied.result, events: applied.events as readonly TreeEvent[], zxid: at };
  }

  /** The value of a successful write, or a thrown Error naming the failure. */
  ok(request: WriteRequest, timeMs?: number): Json {
    const { result } = this.write(request, timeMs);
    if (!result.ok) throw new Error(`${request.type} failed: ${result.error} ${JSON.stringify(result.details ?? null)}`);
    return result.value;
  }

  create(path: string, data = '', options: { ephemeral?: boolean; sequential?: boolean; sessionId?: string | null } = {}): string {
    const request = {
      type: 'create',
      path,
      data,
      ephemeral: options.ephemeral ?? false,
      sequential: options.sequential ?? false,
      sessionId: options.sessionId ?? null,
    } as const;
    return (this.ok(request) as { path: string }).path;
  }

  stat(path: string): Stat {
    const result = this.tree.query({ type: 'exists', path });
    if (!result.ok || result.value === null) throw new Error(`no znode ${path}`);
    return result.value as Stat;
  }

  children(path: string): string[] {
    const result = this.tree.query({ type: 'getChildren', path });
    if (!result.ok) throw new Error(`getChildren ${path}: ${result.error}`);
    return (result.value as { children: string[] }).children;
  }

  data(path: string): string {
    const result = this.tree.query({ type: 'getData', path });
    if (!result.ok) throw new Error(`getData ${path}: ${result.error}`);
    return (result.value as { data: string }).data;
  }
}

