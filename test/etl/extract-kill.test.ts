import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withWarehouse } from '../../src/agents/builtin/warehouse.js';
import { runExtract } from '../../src/etl/extract.js';
import { generateJaffle, jafflePrimaryKey, loadJaffle, simulateShopChanges } from '../../src/etl/jaffle.js';
import { startPgliteSource, withSource, type SourceDatabase } from '../../src/etl/source.js';

const CHILD = fileURLToPath(new URL('./extract-child.ts', import.meta.url));

const SNAPSHOT = `SELECT (SELECT string_agg(stream || '=' || cursor, ',' ORDER BY stream) FROM staging._stream_cursors),
  (SELECT count(*) FROM staging.orders), (SELECT count(DISTINCT id) FROM staging.orders),
  (SELECT count(*) FROM staging.items)`;

async function snapshot(warehouse: string): Promise<string[]> {
  return withWarehouse(warehouse, async (conn) =>
    ((await conn.runAndReadAll(SNAPSHOT)).getRows()[0] ?? []).map((v) => String(v)),
  );
}

describe('extract survives a SIGKILL inside its transaction', () => {
  let source: SourceDatabase;
  let dir = '';
  let warehouse = '';
  const specs = ['orders', 'items'].map((table) => ({
    name: `${table}_connector`,
    api: `${table}_api`,
    table: `jaffle.${table}`,
    method: 'incremental' as const,
    cursor: { field: 'updated_at', initial: '1970-01-01T00:00:00Z' },
    extraction_sql: `SELECT * FROM jaffle.${table} WHERE updated_at > $cursor AND updated_at <= $high_watermark`,
    primary_key: jafflePrimaryKey(table),
  }));

  beforeAll(async () => {
    source = await startPgliteSource();
    dir = mkdtempSync(join(tmpdir(), 'etl-kill-'));
    warehouse = join(dir, 'warehouse.duckdb');
    await withSource(source.url, async (client) => loadJaffle(client, await generateJaffle(1), { days: 10 }));
  });
  afterAll(async () => {
    await source.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('leaves rows and cursor as they were, releases the file, and the next run loads exactly the missed rows', async () => {
    const connections = { shop: { kind: 'postgres', url_env: 'SHOP_URL', single_client: true } as const };
    const env = { SHOP_URL: source.url };
    await runExtract(specs, { warehouse, connections, env });
    const before = await snapshot(warehouse);
    const changes = await withSource(source.url, (client) =>
      simulateShopChanges(client, { at: '2030-01-01 10:00:00', newOrders: 6, updates: 4 }),
    );

    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
      env: { ...process.env, ETL_WAREHOUSE: warehouse, SHOP_URL: source.url },
      detached: true,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once('exit', (_code, signal) => resolve(signal)),
    );
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('inside the orders') && resolve());
        child.once('exit', (code) => reject(new Error(`the extract child exited ${String(code)} too early`)));
      });
      process.kill(-(child.pid ?? 0), 'SIGKILL');
      expect(await exited).toBe('SIGKILL');
    } finally {
      if (child.exitCode === null && child.signalCode === null) process.kill(-(child.pid ?? 0), 'SIGKILL');
    }

    // DuckDB rolls back the unfinished transaction when it reopens the file; the OS released the lock.
    expect(await snapshot(warehouse)).toEqual(before);
    const after = await runExtract(specs, { warehouse, connections, env });
    expect(after.tables.map((t) => t.rows)).toEqual([10, changes.newItems.length]);
    const [, orders, distinct, items] = await snapshot(warehouse);
    expect(orders).toBe(distinct);
    expect(Number(orders)).toBe(Number(before[1]) + 6);
    expect(Number(items)).toBe(Number(before[3]) + changes.newItems.length);
  });
});
