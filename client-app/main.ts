import { mount } from 'svelte';
import App from './App.svelte';
import { TabApp } from './app/tab-app.ts';
import { TabView } from './app/tab-view.svelte.ts';
import { parseTabParams } from './app/params.ts';

/** The page: one TabKeeper server in this tab, its view, and `window.tabkeeper` for tests. */
const REFRESH_MS = 200;

const params = parseTabParams(window.location.search);
const target = document.getElementById('app')!;

if ('error' in params) {
  target.textContent = `TabKeeper: ${params.error}`;
} else {
  const app = new TabApp(params);
  const view = new TabView(app);
  window.tabkeeper = { status: () => app.status(), run: (op) => app.run(op), history: () => app.history(), forceNewCluster: () => app.forceNewCluster() };
  mount(App, { target, props: { app, view } });
  let refreshQueued = false;
  app.onChange(() => {
    if (refreshQueued) return;
    refreshQueued = true;
    queueMicrotask(() => {
      refreshQueued = false;
      view.refresh();
    });
  });
  window.setInterval(() => view.refresh(), REFRESH_MS);
  // Close peer connections at once, so the other tabs notice within milliseconds (a dead tab's
  // DataChannel never closes by itself); release the seat, the lock and the database.
  window.addEventListener('pagehide', () => app.shutdown());
  // A page restored from the back/forward cache has shut down: start afresh.
  window.addEventListener('pageshow', (event) => {
    if (event.persisted) window.location.reload();
  });
  void app.boot();
}
