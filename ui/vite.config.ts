import { defineConfig } from 'vitest/config';
import type { Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

/**
 * The app runs with a frozen Object.prototype (Tauri's `freezePrototype`).
 * ECharts' scheduler copies every enumerable key of two prototypes, `constructor`
 * among them, onto plain objects by assignment, which then throws ("read only
 * property 'constructor'"); define the keys instead. Fails the build if the
 * code it patches changes, so an ECharts upgrade is looked at again.
 */
function echartsFrozenPrototype(): Plugin {
  const from = 'target[name_1] = noop;';
  const to = 'Object.defineProperty(target, name_1, { value: noop, writable: true, enumerable: true, configurable: true });';
  return {
    name: 'trustdesk:echarts-frozen-prototype',
    transform(code, id) {
      if (!/[\\/]echarts[\\/]lib[\\/]core[\\/]Scheduler\.js$/.test(id)) return null;
      if (!code.includes(from)) throw new Error(`${id} changed: review the frozen-prototype patch in vite.config.ts`);
      return { code: code.replace(from, to), map: null };
    },
  };
}

// The Tauri window is WebKitGTK on Linux, WebKit on macOS and WebView2 on Windows.
export default defineConfig({
  plugins: [svelte(), echartsFrozenPrototype()],
  // Dev serves ECharts pre-bundled: patch it there too.
  optimizeDeps: { rolldownOptions: { plugins: [echartsFrozenPrototype()] } },
  clearScreen: false,
  server: { port: 5173, strictPort: true, host: '127.0.0.1' },
  build: {
    target: 'safari15',
    outDir: 'dist',
    emptyOutDir: true,
    // The polyfill would need an inline script, which our CSP forbids.
    modulePreload: { polyfill: false },
    rolldownOptions: {
      output: {
        // The chart library (only the dashboard loads it, on demand) as two
        // chunks along its package line, each under the size warning.
        codeSplitting: { groups: [{ name: 'zrender', test: /node_modules[\\/]zrender[\\/]/ }] },
      },
    },
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
    // Through the plugins above, so the charts are tested as the app runs them.
    server: { deps: { inline: ['echarts', 'zrender'] } },
  },
});
