import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withWarehouse } from '../../src/agents/builtin/warehouse.js';
import type { ConnectorSpec } from '../../src/contracts/builder-output.js';
import { ExtractResult, PostgresConnection } from '../../src/etl/contracts.js';
import { runExtract } from '../../src/etl/extract.js';
import { generateJaffle, jafflePrimaryKey, loadJaffle, simulateShopChanges } from '../../src/etl/jaffle.js';
import { startPgliteSource, withSource } from '../../src/etl/source.js';
import { CursorMoved, mergeBatch } from '../../src/etl/staging.js';
import { startPrivatePostgres } from './postgres.js';

/** Connector specs as Builder writes them, plus the primary keys of the shop's tables. */
function specs(): ConnectorSpec[] {
  const incremental = (table: string): ConnectorSpec => ({
    name: `${table}_connector`,
    api: `${table}_api`,
    table: `jaffle.${table}`,
    method: 'incremental',
    cursor: { field: 'updated_at', initial: '1970-01-01T00:00:00Z' },
    extraction_sql: `SELECT * FROM jaffle.${table} WHERE updated_at > $cursor AND updated_at <= $high_watermark ORDER BY updated_at`,
    primary_key: jafflePrimaryKey(table),
  });
  return [
    incremental('orders'),
    incremental('items'),
    incremental('customers'),
    {
      name: 'products_connector',
      api: 'products_api',
      table: 'jaffle.products',
      method: 'full',
      extraction_sql: 'SELECT * FROM jaffle.products',
      primary_key: ['sku'],
    },
  ];
}

/** Rows of a warehouse query as text, for comparing with the source's text output. */
async function warehouseRows(warehouse: string, sql: string): Promise<string[][]> {
  return withWarehouse(warehouse, async (conn) => {
    const reader = await conn.runAndReadAll(sql);
    return reader.getRows().map((row) => row.map((v) => String(v)));
  });
}

async function sourceRows(url: string, sql: string): Promise<string[][]> {
  return withSource(url, async (client) => {
    const result = await client.query<string[]>({ text: sql, rowMode: 'array' });
    return result.rows.map((row) => row.map((v) => String(v)));
  });
}

const ORDERS_SQL = 'SELECT id, status, CAST(updated_at AS VARCHAR) FROM {t} ORDER BY id';

let csvDir = '';
beforeAll(async () => {
  csvDir = await generateJaffle(1);
});

describe.each([
  ['PostgreSQL 15 (private cluster)', startPrivatePostgres],
  ['PGlite over the wire protocol', () => startPgliteSource()],
])('extract from %s', (engine, start) => {
  let url = '';
  let stop: () => Promise<void> = async () => undefined;
  let dir = '';
  let warehouse = '';
  const single = engine.startsWith('PGlite');
  const connections = {
    shop: PostgresConnection.parse({ kind: 'postgres', url_env: 'SHOP_URL', single_client: single }),
  };
  const run = (extra: Partial<Parameters<typeof runExtract>[1]> = {}) =>
    runExtract(specs(), { warehouse, connections, env: { SHOP_URL: url }, ...extra });

  beforeAll(async () => {
    const source = await start();
    url = source.url;
    stop = 'stop' in source ? () => source.stop() : () => source.close();
    dir = mkdtempSync(join(tmpdir(), 'etl-extract-'));
    warehouse = join(dir, 'warehouse.duckdb');
    await withSource(url, (client) => loadJaffle(client, csvDir, { days: 30 }));
  });
  afterAll(async () => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads every source row once on the first run, with the cursor at the newest row', async () => {
    const result = await run();
    expect(ExtractResult.parse(result)).toEqual(result);
    const counts = await sourceRows(
      url,
      `SELECT (SELECT count(*) FROM jaffle.orders), (SELECT count(*) FROM jaffle.items),
              (SELECT count(*) FROM jaffle.customers), (SELECT count(*) FROM jaffle.products),
              (SELECT max(updated_at)::text FROM jaffle.orders)`,
    );
    const [orders, items, customers, products, newest] = counts[0] ?? [];
    expect(result.tables.map((t) => [t.staging_table, t.rows, t.staging_rows])).toEqual([
      ['staging.orders', Number(orders), Number(orders)],
      ['staging.items', Number(items), Number(items)],
      ['staging.customers', Number(customers), Number(customers)],
      ['staging.products', Number(products), Number(products)],
    ]);
    expect(Number(orders)).toBeGreaterThan(1000);
    expect(result.tables[0]).toMatchObject({ cursor_from: '1970-01-01T00:00:00Z', cursor_to: newest });
    expect(await warehouseRows(warehouse, ORDERS_SQL.replace('{t}', 'staging.orders'))).toEqual(
      await sourceRows(url, ORDERS_SQL.replace('{t}', 'jaffle.orders')),
    );
  });

  it('after appends and updates extracts exactly the new and changed rows, and duplicates none', async () => {
    const before = await warehouseRows(warehouse, `SELECT cursor FROM staging._stream_cursors WHERE stream = 'orders'`);
    const changes = await withSource(url, (client) =>
      simulateShopChanges(client, { at: '2030-01-01 10:00:00', newOrders: 7, updates: 5 }),
    );
    expect(changes.newOrders).toHaveLength(7);
    expect(changes.updatedOrders).toHaveLength(5);
    const result = await run();
    expect(result.tables.map((t) => [t.staging_table, t.rows])).toEqual([
      ['staging.orders', 12],
      ['staging.items', changes.newItems.length],
      ['staging.customers', 0],
      ['staging.products', 10],
    ]);
    expect(result.tables[0]).toMatchObject({ cursor_from: before[0]?.[0], cursor_to: '2030-01-01 10:00:00' });
    expect(result.tables[2]?.cursor_to).toBe(result.tables[2]?.cursor_from);
    expect(await warehouseRows(warehouse, ORDERS_SQL.replace('{t}', 'staging.orders'))).toEqual(
      await sourceRows(url, ORDERS_SQL.replace('{t}', 'jaffle.orders')),
    );
    const dupes = await warehouseRows(
      warehouse,
      `SELECT (SELECT count(*) - count(DISTINCT id) FROM staging.orders), (SELECT count(*) - count(DISTINCT id) FROM staging.items)`,
    );
    expect(dupes).toEqual([['0', '0']]);
    const returned = await warehouseRows(
      warehouse,
      `SELECT id FROM staging.orders WHERE status = 'returned' ORDER BY id`,
    );
    expect(returned.map((r) => r[0])).toEqual([...changes.updatedOrders].sort());

    const again = await run();
    expect(again.tables.map((t) => t.rows)).toEqual([0, 0, 0, 10]);
  });

  it('replaces the staging table on a full refresh', async () => {
    await withSource(url, async (client) => {
      await client.query(`DELETE FROM jaffle.products WHERE sku = (SELECT min(sku) FROM jaffle.products)`);
      await client.query(
        `UPDATE jaffle.products SET name = 'renamed' WHERE sku = (SELECT max(sku) FROM jaffle.products)`,
      );
    });
    const result = await run();
    expect(result.tables[3]).toMatchObject({ method: 'full', rows: 9, staging_rows: 9, cursor_to: null });
    const sql = 'SELECT sku, name, CAST(price AS VARCHAR) FROM {t} ORDER BY sku';
    expect(await warehouseRows(warehouse, sql.replace('{t}', 'staging.products'))).toEqual(
      await sourceRows(url, sql.replace('{t}', 'jaffle.products')),
    );
  });

  it('leaves cursor and rows unchanged when the run dies between reading and committing', async () => {
    const snapshot = () =>
      warehouseRows(
        warehouse,
        `SELECT (SELECT string_agg(stream || '=' || coalesce(cursor, ''), ',' ORDER BY stream) FROM staging._stream_cursors),
                (SELECT count(*) FROM staging.orders), (SELECT count(*) FROM staging.items),
                (SELECT count(*) FILTER (WHERE status = 'returned') FROM staging.orders)`,
      );
    const before = await snapshot();
    const changes = await withSource(url, (client) =>
      simulateShopChanges(client, { at: '2030-01-02 09:00:00', newOrders: 3, updates: 2 }),
    );
    await expect(
      run({
        beforeCommit: (table) => {
          if (table === 'orders') throw new Error('simulated crash before COMMIT');
        },
      }),
    ).rejects.toThrow('simulated crash before COMMIT');
    expect(await snapshot()).toEqual(before);

    const retried = await run();
    expect(retried.tables.map((t) => t.rows)).toEqual([5, changes.newItems.length, 0, 9]);
    expect(retried.tables[0]?.cursor_to).toBe('2030-01-02 09:00:00');
    expect(await warehouseRows(warehouse, ORDERS_SQL.replace('{t}', 'staging.orders'))).toEqual(
      await sourceRows(url, ORDERS_SQL.replace('{t}', 'jaffle.orders')),
    );
  });

  it('writes nothing when another process moved the cursor after this run read it, and says retry', async () => {
    const before = await warehouseRows(warehouse, ORDERS_SQL.replace('{t}', 'staging.orders'));
    const stale = await withWarehouse(warehouse, async (conn) => {
      const batch = {
        columns: [
          { name: 'id', type: 'VARCHAR' },
          { name: 'updated_at', type: 'TIMESTAMP' },
        ],
        rows: [['x-1', '2031-01-01 00:00:00']],
      };
      return mergeBatch(conn, batch, {
        stagingTable: 'orders',
        method: 'incremental',
        primaryKey: ['id'],
        cursorField: 'updated_at',
        expectedCursor: '1999-01-01 00:00:00',
        cursorFrom: '1999-01-01 00:00:00',
      }).catch((err: unknown) => err);
    });
    expect(stale).toBeInstanceOf(CursorMoved);
    expect(stale).toHaveProperty(
      'message',
      expect.stringContaining('cursor of orders moved from 1999-01-01 00:00:00 to'),
    );
    expect(await warehouseRows(warehouse, ORDERS_SQL.replace('{t}', 'staging.orders'))).toEqual(before);
  });

  // Runs in one process take turns per staging table (and on a single-client source), the second after the first's
  // COMMIT, so it reads from the cursor the first committed instead of failing with CursorMoved.
  it('serializes concurrent runs of one table in one process', async () => {
    await withSource(url, (client) =>
      simulateShopChanges(client, { at: '2030-01-03 08:00:00', newOrders: 4, updates: 1 }),
    );
    const orders = specs().slice(0, 1);
    const both = await Promise.all([
      runExtract(orders, { warehouse, connections, env: { SHOP_URL: url } }),
      runExtract(orders, { warehouse, connections, env: { SHOP_URL: url } }),
    ]);
    expect(both.map((r) => r.tables[0]?.rows)).toEqual([5, 0]);
    expect(both[1]?.tables[0]?.cursor_from).toBe('2030-01-03 08:00:00');
    expect(await warehouseRows(warehouse, ORDERS_SQL.replace('{t}', 'staging.orders'))).toEqual(
      await sourceRows(url, ORDERS_SQL.replace('{t}', 'jaffle.orders')),
    );
  });
});
