// Builds the explorer's browser app (src/ui/app) into dist/ui/bundle, which the package
// ships and `stowage ui` serves: no CDN, no network.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('./src/ui/app/', import.meta.url)),
  base: '/',
  logLevel: 'warn',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('./dist/ui/bundle/', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // One script and one stylesheet: the page loads them over loopback from memory.
    chunkSizeWarningLimit: 1024,
    modulePreload: false,
  },
});
