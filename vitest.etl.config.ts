import { configDefaults, defineConfig } from 'vitest/config';

/**
 * The ETL tests alone (`npm run test:etl`): they start their own PostgreSQL, PGlite and HTTP servers; the pipeline's
 * (warehouse-etl, guarantees) also need the Temporal dev server the global setup starts. `npm test` runs them too.
 */
export default defineConfig({
  test: {
    include: ['test/etl/**/*.test.ts'],
    exclude: [...configDefaults.exclude],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    maxWorkers: 1,
  },
});
