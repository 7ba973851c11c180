import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withWarehouse } from '../../src/agents/builtin/warehouse.js';
import { readFlowInput } from '../../src/cli/input.js';
import { generateJaffle, loadJaffle } from '../../src/etl/jaffle.js';
import { startPgliteSource, withSource, type SourceDatabase } from '../../src/etl/source.js';
import { applyServingBatch } from '../../src/events/projections.js';
import { commandsFor, readShopOrders } from '../../src/events/shop.js';
import { handleCommand, storeHead } from '../../src/events/store.js';
import { startChain, waitChain } from '../../src/temporal/chains.js';
import { startWorker, testClient, unique, type TestWorker } from '../helpers.js';
import { startStore, type TestStore } from './setup.js';

const EXAMPLE = join(import.meta.dirname, '..', '..', 'examples', 'warehouse-etl.yaml');
const DAYS = ['2026-11-01', '2026-11-02', '2026-11-03'];

/**
 * The loop between the two pipelines: the shop's orders, as commands, become events; `daily_revenue` folded from them
 * must say what the warehouse ETL's `mart_daily_revenue` says for the same days (goods sold, before tax: the ETL sums
 * item prices, the projection order subtotals, which jafgen makes the sum of the items' prices).
 */
describe('daily_revenue from events equals the warehouse ETL mart', () => {
  let source: SourceDatabase;
  let store: TestStore;
  let worker: TestWorker;
  let client: Client;
  let closeClient: () => Promise<void>;
  const dir = mkdtempSync(join(tmpdir(), 'events-etl-'));

  beforeAll(async () => {
    source = await startPgliteSource();
    await withSource(source.url, async (c) => loadJaffle(c, await generateJaffle(1), { days: 3, endsOn: DAYS[2] }));
    store = await startStore('postgres');
    ({ client, close: closeClient } = await testClient());
    worker = await startWorker({ outDir: dir, env: { ...process.env, SOURCE_DATABASE_URL: source.url } });
  });
  afterAll(async () => {
    await worker?.stop();
    await closeClient?.();
    await store?.stop();
    await source?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('for every day the ETL ran', async () => {
    const input = await readFlowInput('warehouse-etl', EXAMPLE);
    for (const day of DAYS) {
      const started = await startChain(client, 'warehouse-etl', input, {
        id: unique('etl'),
        taskQueue: worker.taskQueue,
        partition: `date_key=${day}`,
      });
      expect((await waitChain(started.handle)).status).toBe('COMPLETED');
    }
    const mart = await withWarehouse(join(dir, 'warehouse.duckdb'), async (c) =>
      (
        await c.runAndReadAll(
          `SELECT strftime(period_start, '%Y-%m-%d'), CAST(round(value * 100) AS BIGINT) FROM mart_daily_revenue
           ORDER BY 1`,
        )
      )
        .getRows()
        .map(([d, v]) => [String(d), Number(v)]),
    );
    expect(mart.map(([d]) => d)).toEqual(DAYS);

    const orders = await withSource(source.url, (c) => readShopOrders(c));
    for (const order of orders)
      for (const [k, command] of commandsFor(order).entries())
        await handleCommand(
          store.db,
          `order/${order.id}`,
          { commandId: `${order.id}/${k}`, command },
          {
            correlationId: 'etl-loop',
          },
        );
    const head = (await storeHead(store.db)).position;
    while ((await applyServingBatch(store.db, 'daily_revenue', 1000)).to < head);
    const projected = await store.db.query<{ day: string; subtotal: number }>(
      `SELECT to_char(date_key, 'YYYY-MM-DD') AS day, subtotal::float8 AS subtotal FROM rm.daily_revenue ORDER BY 1`,
    );
    expect(projected.map((r) => [r.day, r.subtotal])).toEqual(mart);
  }, 300_000);
});
