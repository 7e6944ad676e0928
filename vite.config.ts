import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig, type Plugin } from 'vite';

/**
 * The browser app: Svelte 5 in `client-app/`, built into `dist/` (which the signaling server
 * serves on its own port: `npm start`).
 *
 * simple-peer expects Node's globals (Buffer, process, events). Its package ships a prebuilt
 * browser bundle with those shimmed inside, `simple-peer/simplepeer.min.js`; the alias below
 * makes every `import SimplePeer from 'simple-peer'` load that bundle, in `vite dev` and in
 * `vite build` alike, while TypeScript still reads @types/simple-peer (docs/BROWSER.md).
 *
 * `npm run dev`: Vite serves the app with hot reload on :5173 and starts a signaling server
 * in the same process on :3001 (TABKEEPER_DEV_SIGNALING_PORT), to which it proxies /socket.io
 * (WebSocket included), so the page talks to the same origin in development and production.
 */
const root = fileURLToPath(new URL('./client-app/', import.meta.url));
const outDir = fileURLToPath(new URL('./dist/', import.meta.url));
const signalingPort = Number(process.env.TABKEEPER_DEV_SIGNALING_PORT ?? 3001);

export default defineConfig({
  root,
  publicDir: false,
  plugins: [svelte(), devSignalingServer()],
  resolve: {
    alias: [{ find: /^simple-peer$/, replacement: 'simple-peer/simplepeer.min.js' }],
  },
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1024,
  },
  server: {
    port: 5173,
    proxy: {
      '/socket.io': { target: `http://127.0.0.1:${signalingPort}`, ws: true },
      '/health': { target: `http://127.0.0.1:${signalingPort}` },
    },
  },
});

/** Starts the signaling server beside the dev server (only for `vite` / `vite dev`), and stops it with it. */
function devSignalingServer(): Plugin {
  return {
    name: 'tabkeeper-dev-signaling',
    apply: 'serve',
    async configureServer(server) {
      const { SignalingServer } = await import('./signaling/server.ts');
      const { createLogger } = await import('./signaling/logger.ts');
      const { parseServerOptions } = await import('./signaling/options.ts');
      const parsed = parseServerOptions(['--port', String(signalingPort), '--host', '127.0.0.1'], process.env);
      if (parsed.kind !== 'run') throw new Error('unexpected signaling options');
      const logger = createLogger({ level: parsed.options.logLevel, format: parsed.options.logFormat });
      const signaling = await SignalingServer.start({ ...parsed.options, logger });
      server.httpServer?.once('close', () => void signaling.close());
      server.config.logger.info(`  signaling server on http://127.0.0.1:${signalingPort} (proxied at /socket.io)`);
    },
  };
}
