import { defineConfig } from 'vitest/config';

/** `npm run test:ui`: the browser tests, against a dev server with its Web UI; needs Chromium (CHROMIUM_PATH). */
export default defineConfig({
  test: {
    include: ['test/ui/**/*.test.ts'],
    globalSetup: ['test/ui/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 1,
  },
});
