import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
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
import { cli } from '../cli-process.js';
import { martFingerprints } from './marts.js';
import { startWorker, testClient, unique, type TestWorker } from '../helpers.js';

const EXAMPLE = join(import.meta.dirname, '..', '..', 'examples', 'warehouse-etl.yaml');

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
    // One chart per mart (two for the fact: by day and by product type), each total what the mart holds.
    const charts = (state?.output as { charts: { mart: string; kind: string; total: number }[] }).charts;
    expect(charts.map((c) => [c.mart, c.kind])).toEqual([
      ['main.fct_sales', 'fact'],
      ['main.fct_sales', 'fact'],
      ['main.mart_daily_revenue', 'time'],
      ['main.mart_revenue_7d', 'time'],
      ['main.mart_store_revenue', 'entity'],
    ]);
    const [sales, daily, stores] = await withWarehouse(
      join(dir, 'warehouse.duckdb'),
      async (c) =>
        (
          await c.runAndReadAll(
            `SELECT (SELECT sum(amount) FROM fct_sales), (SELECT sum(value) FROM mart_daily_revenue),
                  (SELECT sum(value) FROM mart_store_revenue)`,
          )
        )
          .getRows()[0]
          ?.map((v) => Number(v)) ?? [],
    );
    expect(charts[0]?.total).toBeCloseTo(sales ?? NaN, 2);
    expect(charts[2]?.total).toBeCloseTo(daily ?? NaN, 2);
    expect(charts[4]?.total).toBeCloseTo(stores ?? NaN, 2);

    const warehouse = join(dir, 'warehouse.duckdb');
    const before = await martFingerprints(warehouse);
    const again = await run('date_key=2026-11-05');
    expect(again.status).toBe('COMPLETED');
    expect(
      (again.state?.handoffs[1]?.output as typeof extract).tables.every(
        (t) => t.rows === 0 || t.staging_table.endsWith('products') || t.staging_table.endsWith('stores'),
      ),
    ).toBe(true);
    expect(await martFingerprints(warehouse)).toEqual(before);
  });

  it('replays from the transform step without extracting again', async () => {
    const original = await run('date_key=2026-11-06');
    expect(original.status).toBe('COMPLETED');
    const warehouse = join(dir, 'warehouse.duckdb');
    const cursors =
      "SELECT string_agg(stream || cursor || committed_at, ',' ORDER BY stream) FROM staging._stream_cursors";
    const before = await withWarehouse(warehouse, async (c) =>
      String((await c.runAndReadAll(cursors)).getRows()[0]?.[0]),
    );
    const r = await cli(['replay', original.state?.chainId ?? '', '--from-step', 'transform', '--json'], {
      STREAM_COLLAB_TASK_QUEUE: worker.taskQueue,
    });
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    const replay = JSON.parse(r.stdout) as { status: string; handoffs: { to: string; how: string }[] };
    expect(replay.status).toBe('COMPLETED');
    expect(replay.handoffs.map((h) => [h.to, h.how])).toEqual([
      ['stream', 'reused'],
      ['extract', 'reused'],
      ['transform', 'called'],
      ['radar', 'called'],
      ['publish', 'called'],
    ]);
    // No extract ran: every cursor is as it was, down to when it was committed.
    expect(
      await withWarehouse(warehouse, async (c) => String((await c.runAndReadAll(cursors)).getRows()[0]?.[0])),
    ).toBe(before);
  });

  it('takes its connectors, metrics and checks from completed chains of Patterns A, B and D', async () => {
    const design = async (
      flow: 'schema-to-pipeline' | 'analytics-pipeline' | 'pipeline-testing',
      payload: Record<string, unknown>,
    ): Promise<string> => {
      const started = await startChain(client, flow, payload, { id: unique(flow), taskQueue: worker.taskQueue });
      expect((await waitChain(started.handle)).status).toBe('COMPLETED');
      return started.workflowId;
    };
    const connectorsFrom = await design('schema-to-pipeline', {
      source_tables: ['jaffle.orders', 'jaffle.items', 'jaffle.products'],
      target_model: 'fct_sales',
      full_refresh: ['jaffle.products'],
      primary_keys: { 'jaffle.products': ['sku'] },
    });
    const metricsFrom = await design('analytics-pipeline', {
      metrics: [{ name: 'weekly_orders', grain: 'week', aggregation: 'count(distinct order_id)' }],
    });
    const checksFrom = await design(
      'pipeline-testing',
      await readFlowInput(
        'pipeline-testing',
        join(import.meta.dirname, '..', '..', 'examples', 'pipeline-testing.yaml'),
      ),
    );
    const outcome = await run('date_key=2026-11-07', {
      pipeline: 'designed',
      connections: { shop: { kind: 'postgres' } },
      connectors_from: connectorsFrom,
      metrics_from: metricsFrom,
      checks_from: checksFrom,
    });
    expect(outcome.failure).toBeUndefined();
    const plan = outcome.state?.handoffs[0]?.output as {
      connectors: { name: string; primary_key?: string[] }[];
      marts: string[];
      checks: { table: string; checks: string[] }[];
      from: Record<string, { workflow_id: string }>;
    };
    expect(plan.connectors.map((c) => c.name)).toEqual([
      'jaffle_orders_connector',
      'jaffle_items_connector',
      'jaffle_products_connector',
    ]);
    expect(plan.connectors[2]?.primary_key).toEqual(['sku']);
    expect(plan.marts).toEqual(['fct_sales', 'mart_weekly_orders']);
    expect(plan.checks).toEqual([
      { type: 'data_quality', table: 'fct_sales', checks: ['row_count > 0', 'no_nulls: order_id'] },
    ]);
    expect(Object.fromEntries(Object.entries(plan.from).map(([k, v]) => [k, v.workflow_id]))).toEqual({
      connectors: connectorsFrom,
      metrics: metricsFrom,
      checks: checksFrom,
    });
    const checks = outcome.state?.handoffs[3]?.output as { summary: { passed: number; failed: number } };
    expect(checks.summary).toEqual({ passed: 2, failed: 0, skipped: 0 });
  });

  it('refuses a reference to no chain, or to the wrong kind of chain, and a partition that is not a day', async () => {
    const input = await readFlowInput('warehouse-etl', EXAMPLE);
    const { connectors: _inline, ...rest } = input;
    const unknown = await run('date_key=2026-11-05', { ...rest, connectors_from: 'schema-to-pipeline/nothing/0000' });
    expect(unknown.failure).toMatchObject({
      type: 'AgentRejected',
      message: expect.stringContaining('connectors_from: no workflow with id schema-to-pipeline/nothing/0000'),
    });
    expect(unknown.state?.handoffs.map((h) => h.status)).toEqual([
      'failed',
      'pending',
      'pending',
      'pending',
      'pending',
    ]);
    const week = await run('week_key=2026-11-02');
    expect(week.failure).toMatchObject({
      type: 'AgentRejected',
      message: expect.stringContaining('(partition): expected a day, date_key=YYYY-MM-DD, got "week_key=2026-11-02"'),
    });
  });

  it('checks the input before anything starts', async () => {
    const file = join(dir, 'no-connectors.yaml');
    await writeFile(file, 'connections: { shop: { kind: postgres } }\nmetrics: [{ name: m, grain: dayy }]\n');
    const r = await cli(['run', 'warehouse-etl', '--input', file, '--partition', 'date_key=2026-11-05'], {
      STREAM_COLLAB_TASK_QUEUE: worker.taskQueue,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /connectors \(.*no-connectors\.yaml:1:1\): expected connectors or connectors_from, got neither/,
    );
  });
});
