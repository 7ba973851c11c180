import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type pg from 'pg';
import { ETL_VENV, installEtlTools, JAFGEN_BIN } from './install.js';

/** A source table of the sample shop: its columns with PostgreSQL types, and its primary key. */
interface JaffleTable {
  readonly name: string;
  readonly columns: readonly (readonly [name: string, type: string])[];
  readonly primaryKey: readonly string[];
  /** DuckDB SQL over the CSV views (`raw_<table>`, all VARCHAR) giving the columns in order. */
  readonly select: string;
}

/** Shifts a CSV timestamp by the load's day offset (`$shift` days). */
const shifted = (column: string): string =>
  `CAST(CAST(${column} AS TIMESTAMP) + to_days(CAST($shift AS INTEGER)) AS VARCHAR)`;

/**
 * The shop as the source holds it: jafgen's CSVs with primary keys, an `updated_at` cursor column on every table,
 * and an order `status` the change simulator moves. Items and customers take their `updated_at` from their order.
 */
const TABLES: readonly JaffleTable[] = [
  {
    name: 'stores',
    columns: [
      ['id', 'text'],
      ['name', 'text'],
      ['opened_at', 'timestamp'],
      ['tax_rate', 'numeric(6,4)'],
      ['updated_at', 'timestamp'],
    ],
    primaryKey: ['id'],
    select: `SELECT id, name, ${shifted('opened_at')}, tax_rate, ${shifted('opened_at')} FROM raw_stores`,
  },
  {
    name: 'products',
    columns: [
      ['sku', 'text'],
      ['name', 'text'],
      ['type', 'text'],
      ['price', 'bigint'],
      ['description', 'text'],
      ['updated_at', 'timestamp'],
    ],
    primaryKey: ['sku'],
    select: `SELECT sku, name, type, price, description, (SELECT min(ordered_at) FROM orders_window) FROM raw_products`,
  },
  {
    name: 'supplies',
    columns: [
      ['id', 'text'],
      ['sku', 'text'],
      ['name', 'text'],
      ['cost', 'bigint'],
      ['perishable', 'boolean'],
      ['updated_at', 'timestamp'],
    ],
    primaryKey: ['id', 'sku'],
    select: `SELECT id, sku, name, cost, lower(perishable), (SELECT min(ordered_at) FROM orders_window) FROM raw_supplies`,
  },
  {
    name: 'customers',
    columns: [
      ['id', 'text'],
      ['name', 'text'],
      ['updated_at', 'timestamp'],
    ],
    primaryKey: ['id'],
    select: `SELECT c.id, c.name, min(o.ordered_at) FROM raw_customers c JOIN orders_window o ON o.customer = c.id
             GROUP BY c.id, c.name`,
  },
  {
    name: 'orders',
    columns: [
      ['id', 'text'],
      ['customer', 'text'],
      ['ordered_at', 'timestamp'],
      ['store_id', 'text'],
      ['subtotal', 'bigint'],
      ['tax_paid', 'bigint'],
      ['order_total', 'bigint'],
      ['status', 'text'],
      ['updated_at', 'timestamp'],
    ],
    primaryKey: ['id'],
    select: `SELECT id, customer, ordered_at, store_id, subtotal, tax_paid, order_total, 'completed', ordered_at
             FROM orders_window`,
  },
  {
    name: 'items',
    columns: [
      ['id', 'text'],
      ['order_id', 'text'],
      ['sku', 'text'],
      ['updated_at', 'timestamp'],
    ],
    primaryKey: ['id'],
    select: `SELECT i.id, i.order_id, i.sku, o.ordered_at FROM raw_items i JOIN orders_window o ON o.id = i.order_id`,
  },
];

/** The shop's source tables, in load order. */
export const JAFFLE_TABLES: readonly string[] = TABLES.map((t) => t.name);

/** The primary key of a shop table, for the connector specs of tests and the demo. */
export function jafflePrimaryKey(table: string): string[] {
  const found = TABLES.find((t) => t.name === table);
  if (found === undefined) throw new Error(`no Jaffle Shop table "${table}"`);
  return [...found.primaryKey];
}

/**
 * Generates `years` of the Jaffle Shop with jafgen (from the project venv, `npm run etl:install`) into
 * .dbt/jaffle/<years>y/, once: jafgen takes seconds per year, and the CSVs are reused by every later load.
 * Returns the folder holding raw_*.csv.
 */
export async function generateJaffle(years = 1): Promise<string> {
  const dir = join(ETL_VENV, 'jaffle', `${years}y`);
  if (existsSync(join(dir, 'raw_orders.csv'))) return dir;
  // jafgen lives in the project-local venv; a fresh clone gets it here (a no-op once installed).
  if (!installEtlTools()) throw new Error('jafgen is not installed and could not be (npm run etl:install says why)');
  const work = `${dir}.tmp-${process.pid}`;
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  await new Promise<void>((resolve, reject) => {
    const child = spawn(JAFGEN_BIN, [String(years)], { cwd: work, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`jafgen ${years} exited ${String(code)}: ${stderr.slice(-2000)}`)),
    );
  });
  // Renamed into place whole, so a crashed generation is never mistaken for a finished one.
  await rm(dir, { recursive: true, force: true });
  await rename(join(work, 'jaffle-data'), dir);
  await rm(work, { recursive: true, force: true });
  return dir;
}

/** What `loadJaffle` wrote: rows per table, and the time span of the orders. */
export interface JaffleLoad {
  readonly schema: string;
  readonly rows: Record<string, number>;
  readonly firstOrderAt: string;
  readonly lastOrderAt: string;
}

/**
 * (Re)creates `schema` in the source and loads the shop from jafgen's CSVs into it. `days` keeps only the first
 * days of orders (and their items and customers) for quick tests; `endsOn` (YYYY-MM-DD) shifts every timestamp by
 * whole days so the last order falls on that day (a demo over "the last 7 days" needs data that ends today).
 */
export async function loadJaffle(
  client: pg.Client,
  csvDir: string,
  options: { schema?: string; days?: number; endsOn?: string } = {},
): Promise<JaffleLoad> {
  const schema = options.schema ?? 'jaffle';
  const instance = await DuckDBInstance.create(':memory:');
  const duck = await instance.connect();
  try {
    for (const raw of ['customers', 'orders', 'items', 'products', 'stores', 'supplies']) {
      const file = join(csvDir, `raw_${raw}.csv`).replaceAll("'", "''");
      await duck.run(`CREATE VIEW raw_${raw} AS SELECT * FROM read_csv('${file}', all_varchar = true, header = true)`);
    }
    const span = await duck.runAndReadAll(
      `SELECT CAST(min(CAST(ordered_at AS TIMESTAMP)) AS DATE)::VARCHAR, max(CAST(ordered_at AS TIMESTAMP))::VARCHAR
       FROM raw_orders`,
    );
    const [first, last] = span.getRows()[0] ?? [];
    const days = options.days ?? 100_000;
    const lastDay = options.days !== undefined ? addDays(String(first), days - 1) : String(last).slice(0, 10);
    const shift = options.endsOn !== undefined ? daysBetween(lastDay, options.endsOn) : 0;
    await duck.run(
      `CREATE TABLE orders_window AS
       SELECT * REPLACE (${shifted('ordered_at')} AS ordered_at) FROM raw_orders
       WHERE CAST(ordered_at AS TIMESTAMP) < CAST($first AS DATE) + to_days(CAST($days AS INTEGER))`,
      { first: String(first), days, shift },
    );
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.query(`CREATE SCHEMA ${schema}`);
    const rows: Record<string, number> = {};
    for (const table of TABLES) {
      const columns = table.columns.map(([name, type]) => `${name} ${type} NOT NULL`).join(', ');
      await client.query(
        `CREATE TABLE ${schema}.${table.name} (${columns}, PRIMARY KEY (${table.primaryKey.join(', ')}))`,
      );
      await client.query(`CREATE INDEX ON ${schema}.${table.name} (updated_at)`);
      const reader = await duck.runAndReadAll(
        `SELECT ${table.columns.map((_, i) => `CAST(#${i + 1} AS VARCHAR)`).join(', ')} FROM (${table.select})`,
        table.select.includes('$shift') ? { shift } : {},
      );
      const data = reader.getRows().map((row) => row.map((v) => (typeof v === 'string' ? v : null)));
      await insertText(client, `${schema}.${table.name}`, table.columns, data);
      rows[table.name] = data.length;
    }
    const orders = await client.query<{ first: string; last: string }>(
      `SELECT min(ordered_at)::text AS first, max(ordered_at)::text AS last FROM ${schema}.orders`,
    );
    const bounds = orders.rows[0];
    return { schema, rows, firstOrderAt: bounds?.first ?? '', lastOrderAt: bounds?.last ?? '' };
  } finally {
    duck.closeSync();
    instance.closeSync();
  }
}

/** Inserts text rows in batches, one array parameter per column, cast to the column's type by PostgreSQL. */
async function insertText(
  client: pg.Client,
  table: string,
  columns: readonly (readonly [string, string])[],
  rows: readonly (readonly (string | null)[])[],
): Promise<void> {
  const BATCH = 5000;
  const names = columns.map(([name]) => name).join(', ');
  const casts = columns.map((_, i) => `$${i + 1}::text[]`).join(', ');
  const typed = columns.map(([name, type]) => `${name}::${type}`).join(', ');
  for (let start = 0; start < rows.length; start += BATCH) {
    const batch = rows.slice(start, start + BATCH);
    const params = columns.map((_, i) => batch.map((row) => row[i] ?? null));
    await client.query(`INSERT INTO ${table} (${names}) SELECT ${typed} FROM unnest(${casts}) AS t(${names})`, params);
  }
}

/** What `simulateShopChanges` did: the ids it appended and updated, and the `updated_at` it gave them. */
export interface ShopChanges {
  readonly at: string;
  readonly newOrders: string[];
  readonly newItems: string[];
  readonly updatedOrders: string[];
}

/**
 * Makes the shop move on, so incremental runs have real new and changed rows: appends `newOrders` orders (copies of
 * existing ones with new ids, each with its items, status `placed`) and moves `updates` existing orders that have
 * items to a new status (`returned`: jafgen leaves about 0.7% of orders without items, and those never reach the
 * item-grain marts), all with `updated_at = at` (and `ordered_at = at` for the new ones). One transaction.
 */
export async function simulateShopChanges(
  client: pg.Client,
  options: { at: string; newOrders: number; updates: number; schema?: string },
): Promise<ShopChanges> {
  const schema = options.schema ?? 'jaffle';
  await client.query('BEGIN');
  try {
    const fresh = await client.query<{ id: string; source: string }>(
      `SELECT md5(id || $1::text) AS id, id AS source FROM ${schema}.orders ORDER BY md5(id || 'new' || $1::text)
       LIMIT $2`,
      [options.at, options.newOrders],
    );
    const newOrders = fresh.rows.map((r) => r.id);
    await client.query(
      `INSERT INTO ${schema}.orders (id, customer, ordered_at, store_id, subtotal, tax_paid, order_total, status,
         updated_at)
       SELECT n.id, o.customer, $3::timestamp, o.store_id, o.subtotal, o.tax_paid, o.order_total, 'placed',
         $3::timestamp
       FROM unnest($1::text[], $2::text[]) AS n(id, source) JOIN ${schema}.orders o ON o.id = n.source`,
      [newOrders, fresh.rows.map((r) => r.source), options.at],
    );
    const items = await client.query<{ id: string }>(
      `INSERT INTO ${schema}.items (id, order_id, sku, updated_at)
       SELECT md5(i.id || n.id), n.id, i.sku, $3::timestamp
       FROM unnest($1::text[], $2::text[]) AS n(id, source) JOIN ${schema}.items i ON i.order_id = n.source
       RETURNING id`,
      [newOrders, fresh.rows.map((r) => r.source), options.at],
    );
    const updated = await client.query<{ id: string }>(
      `UPDATE ${schema}.orders SET status = 'returned', updated_at = $1::timestamp
       WHERE id IN (SELECT o.id FROM ${schema}.orders o
                    WHERE o.status = 'completed' AND o.updated_at < $1::timestamp
                      AND EXISTS (SELECT 1 FROM ${schema}.items i WHERE i.order_id = o.id)
                    ORDER BY md5(o.id || 'upd' || $1::text) LIMIT $2)
       RETURNING id`,
      [options.at, options.updates],
    );
    await client.query('COMMIT');
    return {
      at: options.at,
      newOrders,
      newItems: items.rows.map((r) => r.id),
      updatedOrders: updated.rows.map((r) => r.id),
    };
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  }
}

function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}
