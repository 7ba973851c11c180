import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Faults on real processes: kills, concurrent runs, oversized and invalid replies, leaks (`npm run test:faults`).
    include: ['test/faults/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
