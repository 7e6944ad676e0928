/**
 * The listeners of one kind of event: the one listener list of the project (the node's applied
 * txns, serving changes and failures, the client's connection state, a tab's storage errors, links
 * and view events). `add` returns the function that removes the listener again. `emit` calls, in
 * the order they were added, the listeners present when it began: one added or removed by a
 * listener takes effect from the next emit. A listener that throws stops the emit, as a call would
 * (callers that must shield the others wrap their listeners: client-app/app/tab-events.ts).
 */
export class Listeners<Args extends readonly unknown[]> {
  private list: ((...args: Args) => void)[] = [];

  add(listener: (...args: Args) => void): () => void {
    this.list = [...this.list, listener];
    let added = true;
    return () => {
      if (!added) return;
      added = false;
      const index = this.list.indexOf(listener);
      if (index >= 0) this.list = [...this.list.slice(0, index), ...this.list.slice(index + 1)];
    };
  }

  emit(...args: Args): void {
    // Copy-on-write: a listener that adds or removes one replaces `list`, never changes this one.
    for (const listener of this.list) listener(...args);
  }

  get size(): number {
    return this.list.length;
  }
}
