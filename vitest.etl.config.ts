import { configDefaults, defineConfig } from 'vitest/config';

/**
 * The ETL data-plane tests alone (`npm run test:etl`): they start their own PostgreSQL, PGlite and HTTP servers and
 * need no Temporal dev server, so this config has no global setup. `npm test` runs them too.
 */
export default defineConfig({
  test: {
    include: ['test/etl/**/*.test.ts'],
    exclude: [...configDefaults.exclude],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    maxWorkers: 1,
  },
});
