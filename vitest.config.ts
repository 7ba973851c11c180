import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The browser tests need Chromium and the Web UI: `npm run test:ui` (vitest.ui.config.ts); the fault suite
    // kills and floods real processes: `npm run test:faults` (vitest.faults.config.ts); the two-node cluster tests
    // start their own: `npm run test:cluster` (vitest.cluster.config.ts).
    exclude: [...configDefaults.exclude, 'test/ui/**', 'test/faults/**', 'test/cluster/**'],
    // One real Temporal dev server and one workflow bundle for the whole run.
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two cores: more test processes than that only contend for the server.
    maxWorkers: 2,
  },
});
