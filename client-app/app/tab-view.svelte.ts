import type { TabStatus } from './page-contract.ts';
import type { LogLine, TabApp, TreeEntry } from './tab-app.ts';

/**
 * What the page shows, as immutable snapshots of the tab (STYLE.md convention 14: the UI renders
 * snapshots, never the live core). Each refresh replaces the snapshots; `$state.raw` makes the
 * UI react to replacement only, with no proxies over large objects.
 */
export class TabView {
  status = $state.raw<TabStatus | null>(null);
  tree = $state.raw<TreeEntry[]>([]);
  logs = $state.raw<LogLine[]>([]);
  storageError = $state.raw<string | null>(null);
  unsendableError = $state.raw<string | null>(null);
  private readonly app: TabApp;

  constructor(app: TabApp) {
    this.app = app;
    this.refresh();
  }

  refresh(): void {
    this.status = this.app.status();
    this.tree = this.app.tree();
    this.logs = this.app.logs.slice(-40).reverse();
    this.storageError = this.app.storageError;
    this.unsendableError = this.app.unsendableError;
  }
}
