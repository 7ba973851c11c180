import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withWarehouse } from '../../src/agents/builtin/warehouse.js';
import { readFlowInput } from '../../src/cli/input.js';
import { generateJaffle, loadJaffle } from '../../src/etl/jaffle.js';
import { startPgliteSource, withSource, type SourceDatabase } from '../../src/etl/source.js';
import { FLOWS } from '../../src/flows.js';
import { startChain, waitChain, type ChainOutcome } from '../../src/temporal/chains.js';
import { startWorker, testClient, unique, type TestWorker } from '../helpers.js';

const EXAMPLE = join(import.meta.dirname, '..', '..', 'examples', 'warehouse-etl.yaml');

/** Each mart as one fingerprint (row count and a hash over every row), to compare two states of the warehouse. */
const FINGERPRINTS: Readonly<Record<string, string>> = {
  fct_sales: 'SELECT count(*), sum(hash(item_id, order_id, date_key, amount, status)) FROM fct_sales',
  mart_daily_revenue: 'SELECT count(*), sum(hash(period_start, value, fact_rows)) FROM mart_daily_revenue',
  mart_revenue_7d: 'SELECT count(*), sum(hash(period_start, value, fact_rows)) FROM mart_revenue_7d',
  mart_store_revenue: 'SELECT count(*), sum(hash(store_id, value, fact_rows)) FROM mart_store_revenue',
};

async function marts(warehouse: string): Promise<Record<string, string>> {
  return withWarehouse(warehouse, async (conn) => {
    const out: Record<string, string> = {};
    for (const [mart, sql] of Object.entries(FINGERPRINTS)) {
      const row = (await conn.runAndReadAll(sql)).getRows()[0] ?? [];
      out[mart] = row.map((v) => String(v)).join(' ');
    }
    return out;
  });
}

describe('warehouse-etl: one partition through extract, dbt, checks and the dashboard', () => {
  let client: Client;
  let closeClient: () => Promise<void>;
  let worker: TestWorker;
  let source: SourceDatabase;
  let dir = '';

  beforeAll(async () => {
    source = await startPgliteSource();
    await withSource(source.url, async (c) =>
      loadJaffle(c, await generateJaffle(1), { days: 10, endsOn: '2026-11-10' }),
    );
    dir = mkdtempSync(join(tmpdir(), 'etl-flow-'));
    ({ client, close: closeClient } = await testClient());
    worker = await startWorker({ outDir: dir, env: { ...process.env, SOURCE_DATABASE_URL: source.url } });
  });
  afterAll(async () => {
    await worker?.stop();
    await closeClient?.();
    await source?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function run(partition: string, payload?: Record<string, unknown>): Promise<ChainOutcome> {
    const input = payload ?? (await readFlowInput('warehouse-etl', EXAMPLE));
    const started = await startChain(client, 'warehouse-etl', input, {
      id: unique('etl'),
      taskQueue: worker.taskQueue,
      partition,
    });
    return waitChain(started.handle);
  }

  it('runs every stage as a handoff, carrying references, and re-running leaves the marts identical', async () => {
    const first = await run('date_key=2026-11-05');
    expect(first.failure).toBeUndefined();
    expect(first.status).toBe('COMPLETED');
    const state = first.state;
    if (process.env.DUMP_ETL)
      (await import('node:fs')).writeFileSync(process.env.DUMP_ETL, JSON.stringify(state, null, 1));
    expect(state?.handoffs.map((h) => [h.to, h.status])).toEqual(
      FLOWS['warehouse-etl'].handoffs.map((h) => [h.to, 'completed']),
    );
    const extract = state?.handoffs[1]?.output as {
      tables: { staging_table: string; rows: number; cursor_to: string | null }[];
    };
    const orders = extract.tables.find((t) => t.staging_table === 'staging.orders');
    expect(orders?.rows).toBeGreaterThan(0);
    expect(orders?.cursor_to?.startsWith('2026-11-05')).toBe(true);
    const transform = state?.handoffs[2]?.output as {
      models: { model: string; status: string; rows: number | null }[];
    };
    expect(transform.models.find((m) => m.model === 'fct_sales')).toMatchObject({ status: 'success' });
    const checks = state?.handoffs[3]?.output as { summary: { passed: number; failed: number } };
    expect(checks.summary).toMatchObject({ failed: 0 });
    expect(checks.summary.passed).toBeGreaterThan(0);
    const publish = state?.output as { dashboard: string };
    expect(existsSync(publish.dashboard)).toBe(true);
    expect(await readFile(publish.dashboard, 'utf8')).toContain('fct_sales');

    const warehouse = join(dir, 'warehouse.duckdb');
    const before = await marts(warehouse);
    const again = await run('date_key=2026-11-05');
    expect(again.status).toBe('COMPLETED');
    expect(
      (again.state?.handoffs[1]?.output as typeof extract).tables.every(
        (t) => t.rows === 0 || t.staging_table.endsWith('products') || t.staging_table.endsWith('stores'),
      ),
    ).toBe(true);
    expect(await marts(warehouse)).toEqual(before);
  });
});
