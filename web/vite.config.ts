// Builds the web interface to dist/, which `waiver serve` serves (src/http/static_files.cpp).
// Hashed file names under /assets/ are cached by browsers for a year; index.html is revalidated.
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

export default defineConfig({
  plugins: [svelte()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    // Nothing inline: the Content-Security-Policy allows only files from the server itself.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 600,
  },
  server: {
    // `npm run dev` talks to a `waiver serve` on the default port.
    proxy: { '/api': 'http://127.0.0.1:8080' },
  },
});
