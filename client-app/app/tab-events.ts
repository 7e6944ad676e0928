import type { AppliedTxn } from '../../core/ready.ts';
import type { ServerEvent } from '../../core/server.ts';
import { Listeners } from '../../core/listeners.ts';
import type { ServerId } from '../../core/types.ts';

/**
 * What happens in a tab, as it happens: the views subscribe to these instead of polling.
 * `message`: one protocol message this tab sent ('out') or received ('in'), before any fault
 * filter dropped it (`dropped` says why, or null). `changed`: the status, the links or the fault
 * settings may have changed (cheap to re-read).
 */
export type TabEvent =
  | { readonly type: 'message'; readonly dir: 'in' | 'out'; readonly peer: ServerId; readonly message: unknown; readonly timeMs: number; readonly dropped: string | null }
  | { readonly type: 'applied'; readonly applied: AppliedTxn }
  | { readonly type: 'server'; readonly event: ServerEvent }
  | { readonly type: 'changed' }
  | { readonly type: 'log'; readonly timeMs: number; readonly text: string };

/** A plain synchronous emitter; a listener that throws is reported and does not stop the others. */
export class TabEvents {
  private readonly listeners = new Listeners<[TabEvent]>();

  /** Returns a function that unsubscribes. */
  subscribe(listener: (event: TabEvent) => void): () => void {
    return this.listeners.add((event) => {
      try {
        listener(event);
      } catch (error) {
        console.error('TabKeeper view listener failed', error);
      }
    });
  }

  emit(event: TabEvent): void {
    this.listeners.emit(event);
  }
}
