import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withWarehouse } from '../../src/agents/builtin/warehouse.js';
import { readFlowInput } from '../../src/cli/input.js';
import { generateJaffle, loadJaffle, simulateShopChanges } from '../../src/etl/jaffle.js';
import { withSource } from '../../src/etl/source.js';
import { DBT_PROJECT } from '../../src/etl/transform.js';
import { startBackfill } from '../../src/temporal/backfills.js';
import { startChain, waitChain } from '../../src/temporal/chains.js';
import type { BackfillProgress } from '../../src/workflows/backfill.js';
import { chainQuery, type ChainState } from '../../src/workflows/chain.js';
import { cli } from '../cli-process.js';
import { startWorker, testClient, unique, type TestWorker } from '../helpers.js';
import { startWorkerProcess } from '../worker-process.js';
import { martFingerprints } from './marts.js';
import { startPrivatePostgres, type PrivateCluster } from './postgres.js';

/**
 * The guarantees of warehouse-etl, each shown on real servers: PostgreSQL 15 as the source, Temporal, dbt and
 * DuckDB, workers killed with SIGKILL. Each test has its own source database and warehouse.
 */

const EXAMPLE = join(import.meta.dirname, '..', '..', 'examples', 'warehouse-etl.yaml');

async function warehouseRow(warehouse: string, sql: string): Promise<string[]> {
  return withWarehouse(warehouse, async (conn) =>
    ((await conn.runAndReadAll(sql)).getRows()[0] ?? []).map((v) => String(v)),
  );
}

async function sourceRow(url: string, sql: string, params: unknown[] = []): Promise<string[]> {
  return withSource(url, async (c) => {
    const r = await c.query<string[]>({ text: sql, values: params, rowMode: 'array' });
    return (r.rows[0] ?? []).map((v) => String(v));
  });
}

/** The staging state that must hold after any run, crashed or not: no duplicate, nothing missing, cursor = data. */
async function expectConsistentStaging(warehouse: string, url: string, watermark: string): Promise<void> {
  for (const table of ['orders', 'items']) {
    const [rows, distinct, cursor] = await warehouseRow(
      warehouse,
      `SELECT count(*), count(DISTINCT id), (SELECT cursor FROM staging._stream_cursors WHERE stream = '${table}')
       FROM staging.${table}`,
    );
    const [expected, newest] = await sourceRow(
      url,
      `SELECT count(*), max(updated_at)::text FROM jaffle.${table} WHERE updated_at <= $1::timestamp`,
      [watermark],
    );
    expect({ table, rows, distinct, cursor }).toEqual({ table, rows: expected, distinct: expected, cursor: newest });
  }
}

/** fct_sales of one day, from the source directly (no Temporal, no dbt): what the mart must hold. */
async function sourceDay(url: string, day: string): Promise<string[]> {
  return sourceRow(
    url,
    `SELECT count(*), coalesce(sum(p.price), 0) / 100.0 FROM jaffle.items i
     JOIN jaffle.orders o ON o.id = i.order_id JOIN jaffle.products p ON p.sku = i.sku
     WHERE o.ordered_at::date = $1::date`,
    [day],
  );
}

async function martDay(warehouse: string, day: string): Promise<string[]> {
  const [rows, amount] = await warehouseRow(
    warehouse,
    `SELECT count(*), coalesce(sum(amount), 0) FROM fct_sales WHERE date_key = DATE '${day}'`,
  );
  return [rows ?? '', String(Number(amount))];
}

let pg: PrivateCluster;
let client: Client;
let closeClient: () => Promise<void>;
let csv = '';
const dirs: string[] = [];

beforeAll(async () => {
  pg = await startPrivatePostgres();
  csv = await generateJaffle(1);
  ({ client, close: closeClient } = await testClient());
});
afterAll(async () => {
  await closeClient?.();
  await pg?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A database of its own on the test's PostgreSQL server, with the shop loaded into it. */
async function shopDatabase(options: { days?: number; endsOn: string }): Promise<string> {
  const name = unique('shop')
    .replace(/[^a-z0-9]/gi, '_')
    .toLowerCase();
  await withSource(pg.url, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = pg.url.replace(/\/postgres$/, `/${name}`);
  await withSource(url, (c) => loadJaffle(c, csv, options));
  return url;
}

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

async function runPartition(worker: TestWorker, partition: string | undefined): Promise<ChainState> {
  const started = await startChain(client, 'warehouse-etl', await readFlowInput('warehouse-etl', EXAMPLE), {
    id: unique('etl'),
    taskQueue: worker.taskQueue,
    ...(partition !== undefined ? { partition } : {}),
  });
  const outcome = await waitChain(started.handle);
  expect(outcome.failure).toBeUndefined();
  if (outcome.state === undefined) throw new Error('no chain state');
  return outcome.state;
}

const extracted = (state: ChainState, table: string): { rows: number; cursor_from: string; cursor_to: string } => {
  const tables = (state.handoffs[1]?.output?.tables ?? []) as {
    staging_table: string;
    rows: number;
    cursor_from: string;
    cursor_to: string;
  }[];
  const found = tables.find((t) => t.staging_table === `staging.${table}`);
  if (found === undefined) throw new Error(`no extract of ${table}`);
  return found;
};

describe('warehouse-etl on PostgreSQL 15: incremental runs', () => {
  it('extracts exactly the rows appended and updated since the last run, and rebuilds the days they change', async () => {
    const url = await shopDatabase({ days: 10, endsOn: '2026-10-10' });
    const dir = tempDir('etl-incr-');
    const worker = await startWorker({ outDir: dir, env: { ...process.env, SOURCE_DATABASE_URL: url } });
    try {
      await runPartition(worker, 'date_key=2026-10-09');
      const changes = await withSource(url, (c) =>
        simulateShopChanges(c, { at: '2026-10-10 12:00:00', newOrders: 7, updates: 5 }),
      );
      const state = await runPartition(worker, 'date_key=2026-10-10');
      // Exactly the rows changed after the last cursor and up to the day's end: the day's own orders, the 7
      // appended and the 5 moved to `returned`.
      const orders = extracted(state, 'orders');
      const [changedOrders] = await sourceRow(
        url,
        `SELECT count(*) FROM jaffle.orders WHERE updated_at > $1::timestamp AND updated_at <= '2026-10-10 23:59:59.999999'`,
        [orders.cursor_from],
      );
      expect(orders.rows).toBe(Number(changedOrders));
      // …which are the day's own orders, the 7 appended and the 5 moved to `returned` (one of those may be the
      // day's own order too).
      const [expectedOrders] = await sourceRow(
        url,
        `SELECT count(*) FROM jaffle.orders
         WHERE ordered_at::date = '2026-10-10' OR id = ANY($1::text[]) OR id = ANY($2::text[])`,
        [changes.newOrders, changes.updatedOrders],
      );
      expect(changes.newOrders).toHaveLength(7);
      expect(changes.updatedOrders).toHaveLength(5);
      expect(orders.rows).toBe(Number(expectedOrders));
      const [changedItems] = await sourceRow(
        url,
        `SELECT count(*) FROM jaffle.items WHERE updated_at > $1::timestamp AND updated_at <= '2026-10-10 23:59:59.999999'`,
        [extracted(state, 'items').cursor_from],
      );
      expect(extracted(state, 'items').rows).toBe(Number(changedItems));
      await expectConsistentStaging(join(dir, 'warehouse.duckdb'), url, '2026-10-10 23:59:59.999999');
      // The returned orders were placed on earlier days: those days were rebuilt and show the new status.
      const [returned] = await warehouseRow(
        join(dir, 'warehouse.duckdb'),
        `SELECT count(DISTINCT order_id) FROM fct_sales WHERE status = 'returned'`,
      );
      expect(Number(returned)).toBe(changes.updatedOrders.length);
      for (const day of ['2026-10-09', '2026-10-10']) {
        expect(await martDay(join(dir, 'warehouse.duckdb'), day)).toEqual(
          (await sourceDay(url, day)).map((v, i) => (i === 1 ? String(Number(v)) : v)),
        );
      }
    } finally {
      await worker.stop();
    }
  });
});

describe('warehouse-etl: a worker SIGKILLed mid-stage', () => {
  /** Polls the chain until `ready` says so (the chain query needs the worker alive, which it is until killed). */
  async function waitUntil(
    workflowId: string,
    ready: (state: ChainState) => boolean | Promise<boolean>,
    timeoutMs = 120_000,
  ): Promise<void> {
    const handle = client.workflow.getHandle(workflowId);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const state = await handle.query(chainQuery).catch(() => undefined);
      if (state !== undefined && (await ready(state))) return;
      await sleep(25);
    }
    throw new Error(`timed out waiting on ${workflowId}`);
  }

  /** The dbt process a worker runs, if any: its child whose command line is dbt's. */
  function dbtChildOf(pid: number): number | undefined {
    let out = '';
    try {
      out = execFileSync('pgrep', ['-P', String(pid), '-f', 'dbt run'], { encoding: 'utf8' });
    } catch {
      return undefined;
    }
    const first = out.split('\n').find((l) => l.trim() !== '');
    return first !== undefined ? Number(first) : undefined;
  }

  const alive = (pid: number): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  it.each(['extract', 'transform'] as const)(
    'killed during %s, a new worker ends with no duplicate, no missing row and a consistent cursor',
    async (stage) => {
      // A year of shop history, so the first extract and dbt run take long enough to be caught in the act.
      const url = await shopDatabase({ endsOn: '2026-10-31' });
      const dir = tempDir(`etl-kill-${stage}-`);
      const taskQueue = unique('etl-kill');
      const env = { OUT_DIR: dir, SOURCE_DATABASE_URL: url, STREAM_COLLAB_TASK_QUEUE: taskQueue };
      const first = startWorkerProcess(env);
      let second: ReturnType<typeof startWorkerProcess> | undefined;
      let orphan: number | undefined;
      try {
        const started = await startChain(client, 'warehouse-etl', await readFlowInput('warehouse-etl', EXAMPLE), {
          id: unique('etl-kill'),
          taskQueue,
          partition: 'date_key=2026-10-31',
        });
        const step = stage === 'extract' ? 2 : 3;
        await waitUntil(started.workflowId, (s) => {
          if (s.handoffs[step - 1]?.status !== 'running') return false;
          if (stage === 'extract') return true;
          orphan = first.child.pid !== undefined ? dbtChildOf(first.child.pid) : undefined;
          return orphan !== undefined;
        });
        first.killGroup();
        await first.exited;
        second = startWorkerProcess(env);
        const outcome = await waitChain(started.handle);
        expect(outcome.failure).toBeUndefined();
        expect(outcome.status).toBe('COMPLETED');
        const record = outcome.state?.handoffs[step - 1];
        // The killed attempt was lost and a second one did the work.
        expect(record?.attempts).toBeGreaterThanOrEqual(2);
        expect(record?.failures?.[0]).toMatchObject({ attempt: 1, type: 'AttemptLost' });
        const warehouse = join(dir, 'warehouse.duckdb');
        await expectConsistentStaging(warehouse, url, '2026-10-31 23:59:59.999999');
        expect(await martDay(warehouse, '2026-10-31')).toEqual(
          (await sourceDay(url, '2026-10-31')).map((v, i) => (i === 1 ? String(Number(v)) : v)),
        );
        const [rows, distinct] = await warehouseRow(
          warehouse,
          'SELECT count(*), count(DISTINCT item_id) FROM fct_sales',
        );
        expect(rows).toBe(distinct);
      } finally {
        first.killGroup();
        await second?.stop();
        // The killed worker's dbt was in its own process group, so it outlived the worker; it must not outlive
        // the test.
        if (orphan !== undefined && alive(orphan)) process.kill(-orphan, 'SIGKILL');
      }
    },
    600_000,
  );
});

describe('warehouse-etl: a failed check', () => {
  it('fails only its partition, and backfill retry-failed reruns only it once the transform is fixed', async () => {
    const url = await shopDatabase({ days: 10, endsOn: '2026-10-10' });
    const dir = tempDir('etl-dq-');
    const project = join(dir, 'dbt');
    cpSync(DBT_PROJECT, project, { recursive: true, filter: (src) => !/[/\\](target|logs|metrics)$/.test(src) });
    const stgOrders = join(project, 'models', 'staging', 'stg_orders.sql');
    const good = readFileSync(stgOrders, 'utf8');
    // A transform bug that loses one day's orders: that day's fct_sales is empty and `row_count > 0` fails.
    writeFileSync(
      stgOrders,
      good.replace(
        '    id as order_id,',
        "    case when cast(ordered_at as date) = '2026-10-08' then null else id end as order_id,",
      ),
    );
    const worker = await startWorker({
      outDir: dir,
      env: { ...process.env, SOURCE_DATABASE_URL: url, STREAM_COLLAB_DBT_PROJECT: project },
    });
    const env = { STREAM_COLLAB_TASK_QUEUE: worker.taskQueue };
    try {
      const backfill = await cli(
        ['backfill', 'start', 'warehouse-etl', '--input', EXAMPLE, '--from', '2026-10-07', '--to', '2026-10-09'],
        env,
      );
      expect({ code: backfill.code, stderr: backfill.stderr }).toMatchObject({ code: 0 });
      const id = /backfill\/\S+/.exec(backfill.stdout)?.[0] ?? '';
      expect(id).not.toBe('');
      const result: unknown = await client.workflow.getHandle(id).result();
      const first = result as BackfillProgress;
      expect(first.partitions.map((p) => [p.partition, p.status])).toEqual([
        ['date_key=2026-10-07', 'succeeded'],
        ['date_key=2026-10-08', 'failed'],
        ['date_key=2026-10-09', 'succeeded'],
      ]);
      expect(first.partitions[1]?.detail).toContain('DataQualityFailed');
      expect(first.partitions[1]?.detail).toContain('row_count > 0 on fct_sales (actual 0)');
      const runsBefore = await Promise.all(
        first.partitions.map(async (p) => (await client.workflow.getHandle(p.workflowId).describe()).runId),
      );

      writeFileSync(stgOrders, good);
      const retry = await cli(['backfill', 'retry-failed', id, '--wait'], env);
      expect({ code: retry.code, stderr: retry.stderr }).toMatchObject({ code: 0 });
      const runsAfter = await Promise.all(
        first.partitions.map(async (p) => (await client.workflow.getHandle(p.workflowId).describe()).runId),
      );
      // Only the failed partition ran again; the others kept their runs.
      expect(runsAfter.map((r, i) => r === runsBefore[i])).toEqual([true, false, true]);
      const warehouse = join(dir, 'warehouse.duckdb');
      expect(await martDay(warehouse, '2026-10-08')).toEqual(
        (await sourceDay(url, '2026-10-08')).map((v, i) => (i === 1 ? String(Number(v)) : v)),
      );
    } finally {
      await worker.stop();
    }
  }, 480_000);
});

describe('warehouse-etl: a backfill and one full run', () => {
  it("a 30-day backfill's marts equal one full run's over the same 30 days, late changes included", async () => {
    const url = await shopDatabase({ days: 30, endsOn: '2026-09-30' });
    // Orders placed earlier and returned on the 20th, and new ones that day: changes a day's run must apply to
    // the earlier days they belong to.
    await withSource(url, (c) => simulateShopChanges(c, { at: '2026-09-20 10:00:00', newOrders: 15, updates: 12 }));
    const env = { ...process.env, SOURCE_DATABASE_URL: url };
    const byDay = await startWorker({ outDir: tempDir('etl-backfill-'), env });
    const whole = await startWorker({ outDir: tempDir('etl-full-'), env });
    try {
      const payload = await readFlowInput('warehouse-etl', EXAMPLE);
      const { handle } = await startBackfill(client, {
        flow: 'warehouse-etl',
        payload,
        partitions: { range: { from: '2026-09-01', to: '2026-09-30', grain: 'day' } },
        mode: 'all',
        maxConcurrent: 4,
        id: unique('backfill-etl'),
        taskQueue: byDay.taskQueue,
      });
      const full = await runPartition(whole, undefined);
      expect(full.partition).toBeUndefined();
      const result: unknown = await handle.result();
      const progress = result as BackfillProgress;
      expect(progress.counts.succeeded).toBe(30);
      const backfilled = await martFingerprints(join(byDay.outDir, 'warehouse.duckdb'));
      expect(Number(backfilled.fct_sales?.split(' ')[0])).toBeGreaterThan(1000);
      expect(backfilled).toEqual(await martFingerprints(join(whole.outDir, 'warehouse.duckdb')));
    } finally {
      await byDay.stop();
      await whole.stop();
    }
  }, 900_000);
});
