import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withWarehouse } from '../../src/agents/builtin/warehouse.js';
import type { ConnectorSpec } from '../../src/contracts/builder-output.js';
import { runExtract } from '../../src/etl/extract.js';
import { installEtlTools } from '../../src/etl/install.js';
import { generateJaffle, jafflePrimaryKey, loadJaffle } from '../../src/etl/jaffle.js';
import { startPgliteSource, withSource } from '../../src/etl/source.js';
import { metricMartSql, writeMetricMarts } from '../../src/etl/metric-marts.js';
import { DBT_PROJECT, runDbt, TransformResult } from '../../src/etl/transform.js';

const TABLES = ['orders', 'items', 'products', 'customers', 'stores'];

/** fct_sales of one day, computed from the staging tables without dbt: what the model must hold. */
const EXPECTED_DAY = `
  SELECT count(*), coalesce(sum(p.price), 0) / 100.0 FROM staging.items i
  JOIN staging.orders o ON o.id = i.order_id JOIN staging.products p ON p.sku = i.sku
  WHERE CAST(o.ordered_at AS DATE) = CAST($day AS DATE)`;
const ACTUAL_DAY = `SELECT count(*), coalesce(sum(amount), 0) FROM fct_sales WHERE date_key = CAST($day AS DATE)`;
/** The whole mart as one fingerprint, to show a re-run leaves it identical. */
const FINGERPRINT = `SELECT count(*), sum(hash(item_id, order_id, date_key, amount, status)) FROM fct_sales`;

async function query(warehouse: string, sql: string, params: Record<string, string> = {}): Promise<string[]> {
  return withWarehouse(warehouse, async (conn) =>
    ((await conn.runAndReadAll(sql, params)).getRows()[0] ?? []).map((v) => String(v)),
  );
}

describe('transform: dbt over the extracted staging tables', () => {
  let dir = '';
  let warehouse = '';
  const holders: ChildProcess[] = [];

  beforeAll(async () => {
    expect(installEtlTools()).toBe(true);
    dir = mkdtempSync(join(tmpdir(), 'etl-dbt-'));
    warehouse = join(dir, 'warehouse.duckdb');
    const source = await startPgliteSource();
    try {
      await withSource(source.url, async (client) => loadJaffle(client, await generateJaffle(1), { days: 10 }));
      const specs: ConnectorSpec[] = TABLES.map((t) => ({
        name: `${t}_connector`,
        api: `${t}_api`,
        table: `jaffle.${t}`,
        method: 'full',
        extraction_sql: `SELECT * FROM jaffle.${t}`,
        primary_key: jafflePrimaryKey(t),
      }));
      await runExtract(specs, {
        warehouse,
        connections: { shop: { kind: 'postgres', url_env: 'SHOP_URL', single_client: true } },
        env: { SHOP_URL: source.url },
      });
    } finally {
      await source.close();
    }
  });
  afterAll(() => {
    for (const child of holders) {
      if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('builds one partition, reports dbt results per model, and a re-run leaves the mart identical', async () => {
    const result = await runDbt({ warehouse, partition: '2018-09-05' });
    expect(TransformResult.parse(result)).toEqual(result);
    expect(result.partition).toBe('2018-09-05');
    expect(result.models.map((m) => [m.model, m.status])).toEqual([
      ['stg_items', 'success'],
      ['stg_orders', 'success'],
      ['stg_products', 'success'],
      ['int_sales', 'success'],
      ['fct_sales', 'success'],
    ]);
    const expected = await query(warehouse, EXPECTED_DAY, { day: '2018-09-05' });
    expect(Number(expected[0])).toBeGreaterThan(0);
    expect(await query(warehouse, ACTUAL_DAY, { day: '2018-09-05' })).toEqual(expected);
    expect(result.models.find((m) => m.model === 'fct_sales')?.rows).toBe(Number(expected[0]));
    expect(await query(warehouse, 'SELECT count(DISTINCT date_key) FROM fct_sales')).toEqual(['1']);

    const before = await query(warehouse, FINGERPRINT);
    const again = await runDbt({ warehouse, partition: '2018-09-05' });
    expect(again.models.find((m) => m.model === 'fct_sales')?.rows).toBe(Number(expected[0]));
    expect(await query(warehouse, FINGERPRINT)).toEqual(before);

    await runDbt({ warehouse, partition: '2018-09-06' });
    expect(await query(warehouse, ACTUAL_DAY, { day: '2018-09-05' })).toEqual(expected);
    expect(await query(warehouse, ACTUAL_DAY, { day: '2018-09-06' })).toEqual(
      await query(warehouse, EXPECTED_DAY, { day: '2018-09-06' }),
    );
  });

  it('waits while another process holds the warehouse file, then runs', async () => {
    const holder = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { DuckDBInstance } from '@duckdb/node-api';
         const db = await DuckDBInstance.create(process.argv[1]);
         console.log('held');
         process.stdin.resume();
         process.stdin.on('end', () => { db.closeSync(); process.exit(0); });`,
        warehouse,
      ],
      { detached: true, stdio: ['pipe', 'pipe', 'inherit'] },
    );
    holders.push(holder);
    await new Promise<void>((resolve, reject) => {
      holder.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('held') && resolve());
      holder.once('exit', (code) => reject(new Error(`holder exited ${String(code)} before holding the file`)));
    });
    // The holder lets go only once dbt has found the file held, so the wait is sure to happen.
    const released = new Promise((resolve) => holder.once('exit', resolve));
    const result = await runDbt({ warehouse, partition: '2018-09-07', onLockWait: () => holder.stdin?.end() });
    await released;
    expect(result.lock_waits).toBeGreaterThan(0);
    expect(holder.exitCode).toBe(0);
    expect(result.models.every((m) => m.status === 'success')).toBe(true);
    expect(await query(warehouse, ACTUAL_DAY, { day: '2018-09-07' })).toEqual(
      await query(warehouse, EXPECTED_DAY, { day: '2018-09-07' }),
    );
  });

  it('fails non-retryably, naming the model, when a model is broken', async () => {
    const project = join(dir, 'broken-project');
    cpSync(DBT_PROJECT, project, { recursive: true, filter: (src) => !/[/\\](target|logs)$/.test(src) });
    writeFileSync(join(project, 'models', 'marts', 'broken.sql'), `select no_such_column from {{ ref('stg_orders') }}`);
    const failure: unknown = await runDbt({ warehouse, partition: '2018-09-05', projectDir: project }).catch(
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'TransformFailed', nonRetryable: true });
    expect(failure).toHaveProperty('message', expect.stringContaining('model.stream_collab_etl.broken'));
  });

  it("builds one mart per Pulse metric over the sales facts, with the metric's grain, aggregation and window", async () => {
    const metrics = [
      { name: 'daily_revenue', grain: 'day', aggregation: 'sum(amount)' },
      { name: 'customer_ltv', grain: 'customer', window: 'lifetime' },
      { name: 'orders_7d', grain: 'day', aggregation: 'count(distinct order_id)', window: '7d' },
    ];
    const project = join(dir, 'metrics-project');
    cpSync(DBT_PROJECT, project, { recursive: true, filter: (src) => !/[/\\](target|logs)$/.test(src) });
    expect(await writeMetricMarts(metrics, project)).toEqual([
      'mart_daily_revenue',
      'mart_customer_ltv',
      'mart_orders_7d',
    ]);
    // runDbt generates them itself in a copy of the project made for the run.
    const result = await runDbt({ warehouse, partition: '2018-09-07', metrics });
    // A day's run rebuilds the periods whose value covers that day: for a 7-day window the 7 days from it on
    // (those the staged data has: it ends on 2018-09-10).
    expect(result.models.filter((m) => m.model.startsWith('mart_')).map((m) => [m.model, m.status, m.rows])).toEqual([
      ['mart_customer_ltv', 'success', expect.any(Number)],
      ['mart_daily_revenue', 'success', 1],
      ['mart_orders_7d', 'success', 4],
    ]);
    expect(await query(warehouse, `SELECT value FROM mart_daily_revenue WHERE period_start = '2018-09-07'`)).toEqual(
      await query(warehouse, `SELECT sum(amount) FROM fct_sales WHERE date_key = '2018-09-07'`),
    );
    for (const day of ['2018-09-07', '2018-09-10']) {
      expect(
        await query(warehouse, `SELECT value FROM mart_orders_7d WHERE period_start = CAST($day AS DATE)`, { day }),
      ).toEqual(
        await query(
          warehouse,
          `SELECT count(DISTINCT order_id) FROM int_sales WHERE date_key BETWEEN CAST($day AS DATE) - 6 AND CAST($day AS DATE)`,
          { day },
        ),
      );
    }
    expect(await query(warehouse, `SELECT count(*), sum(value) FROM mart_customer_ltv`)).toEqual(
      await query(warehouse, `SELECT count(DISTINCT customer_id), sum(amount) FROM int_sales`),
    );
  });

  it('rejects a metric it cannot turn into SQL, naming the metric and the reason', () => {
    expect(() => metricMartSql({ name: 'bad', grain: 'day', aggregation: 'sum(amount); drop table x' })).toThrow(
      expect.objectContaining({ type: 'AgentRejected', message: expect.stringContaining('metric bad: aggregation') }),
    );
    expect(() => metricMartSql({ name: 'bad', grain: 'fortnight' })).toThrow('grain "fortnight"');
    expect(() => metricMartSql({ name: 'bad', grain: 'day', aggregation: 'sum(price)' })).toThrow('no column "price"');
  });
});
