// A worker stand-in for the SIGKILL test: runs one extract and stops inside the orders transaction, before COMMIT,
// saying so on stdout, until it is killed.
import { setTimeout as sleep } from 'node:timers/promises';
import { runExtract } from '../../src/etl/extract.js';
import { jafflePrimaryKey } from '../../src/etl/jaffle.js';

const warehouse = process.env.ETL_WAREHOUSE ?? '';
await runExtract(
  ['orders', 'items'].map((table) => ({
    name: `${table}_connector`,
    api: `${table}_api`,
    table: `jaffle.${table}`,
    method: 'incremental' as const,
    cursor: { field: 'updated_at', initial: '1970-01-01T00:00:00Z' },
    extraction_sql: `SELECT * FROM jaffle.${table} WHERE updated_at > $cursor AND updated_at <= $high_watermark`,
    primary_key: jafflePrimaryKey(table),
  })),
  {
    warehouse,
    connections: { shop: { kind: 'postgres', url_env: 'SHOP_URL', single_client: true } },
    beforeCommit: async (table) => {
      if (table !== 'orders') return;
      console.log('inside the orders transaction');
      await sleep(120_000);
    },
  },
);
