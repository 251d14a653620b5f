// Builds the component-test page (component-tests/index.html) with the app's
// own Vite config, into its own directory so the app's dist/ is left alone.
import { mergeConfig } from 'vite';
import app from './vite.config.ts';

export default mergeConfig(app, {
  build: {
    outDir: 'dist-component-tests',
    emptyOutDir: true,
    // Readable stack traces when a test fails.
    sourcemap: true,
    rolldownOptions: { input: 'component-tests/index.html' },
  },
});
