import { resolve } from 'node:path';
import { defineConfig } from 'vite';

/** The console is served by the gateway under /console from dist/console (`npm run build`). */
export default defineConfig({
  root: import.meta.dirname,
  base: '/console/',
  // The SDK from source, the way the console's tsconfig paths name it.
  resolve: { alias: { '@sandbox/sdk': resolve(import.meta.dirname, '../../libs/sdk/src/index.ts') } },
  build: {
    outDir: resolve(import.meta.dirname, '../../dist/console'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
  },
  logLevel: 'warn',
});
