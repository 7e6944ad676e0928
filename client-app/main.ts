import { mount } from 'svelte';
import App from './App.svelte';
import { TabApp } from './app/tab-app.ts';
import { parseTabParams } from './app/params.ts';
import { TabModel } from './ui/model/tab-model.svelte.ts';
import './ui/theme.css';

/** The page: one TabKeeper server in this tab, its views (fed by its events), and `window.tabkeeper` for tests. */
const params = parseTabParams(window.location.search);
const target = document.getElementById('app')!;

if (new URLSearchParams(window.location.search).has('replay')) {
  // A trace replay only: this page joins no cluster. The replay is its own chunk, loaded when used.
  void import('./ui/replay/ReplayApp.svelte').then(({ default: ReplayApp }) => mount(ReplayApp, { target }));
} else if ('error' in params) {
  target.textContent = `TabKeeper: ${params.error}`;
} else {
  const app = new TabApp(params);
  window.tabkeeper = { status: () => app.status(), run: (op) => app.run(op), history: () => app.history(), logs: () => app.logs(), forceNewCluster: () => app.forceNewCluster() };
  // `views=0`: the server alone, nothing mounted (bench/page-views.ts measures what the views cost).
  if (new URLSearchParams(window.location.search).get('views') === '0') target.textContent = `TabKeeper: seat server without views (${params.cluster})`;
  else mount(App, { target, props: { app, model: new TabModel(app) } });
  // Close peer connections at once, so the other tabs notice within milliseconds (a dead tab's
  // DataChannel never closes by itself); release the seat, the lock and the database.
  window.addEventListener('pagehide', () => app.shutdown());
  // A page restored from the back/forward cache has shut down: start afresh.
  window.addEventListener('pageshow', (event) => {
    if (event.persisted) window.location.reload();
  });
  void app.boot();
}
