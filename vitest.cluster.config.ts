import { defineConfig } from 'vitest/config';

/**
 * `npm run test:cluster`: the production topology (src/cluster): two Temporal Server nodes on PostgreSQL, each test
 * file starting and stopping its own cluster. Needs Go (first run builds the server) and Debian's postgresql.
 */
export default defineConfig({
  test: {
    include: ['test/cluster/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 600_000,
    pool: 'forks',
    maxWorkers: 1,
  },
});
