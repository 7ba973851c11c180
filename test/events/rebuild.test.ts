import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rollbackProjection, startProjections, startRebuild, stopProjections } from '../../src/events/client.js';
import { PROJECTION_NAMES, projectionStatus, versionTable } from '../../src/events/projections.js';
import { storeHead } from '../../src/events/store.js';
import { StreamPosition } from '../../src/identity/index.js';
import { startWorker, testClient, unique, waitFor, type TestWorker } from '../helpers.js';
import { allEvents, foldReadModels, readModel } from './fold.js';
import { ENGINES, startStore, type TestStore } from './setup.js';
import { appendWorkload } from './workload.js';

describe.each(ENGINES)('projection rebuild on %s', (engine) => {
  let store: TestStore;
  let worker: TestWorker;
  let client: Client;
  let closeClient: () => Promise<void>;
  const scope = unique(`rebuild-${engine}`);

  beforeAll(async () => {
    store = await startStore(engine);
    ({ client, close: closeClient } = await testClient());
    worker = await startWorker({ eventStore: store.db });
    await appendWorkload(store.db, 300, { prefix: 'r' });
    await startProjections(client, { taskQueue: worker.taskQueue, scope, batchSize: 500, waitMs: 500 });
    await waitFor('the projections to catch up', caughtUp, 60_000);
  });
  afterAll(async () => {
    await stopProjections(client, scope);
    await worker?.stop();
    await closeClient?.();
    await store?.stop();
  });

  async function caughtUp(): Promise<boolean> {
    const head = (await storeHead(store.db)).position;
    const all = await Promise.all(PROJECTION_NAMES.map((n) => projectionStatus(store.db, n)));
    return all.every((s) => s.checkpoint === head);
  }

  it('replays into a new version while the old one serves, swaps with no moment of a partial read model', async () => {
    const expected = foldReadModels(await allEvents(store.db));
    const whole = JSON.stringify(totals(expected.order_summary));
    // Readers poll the serving view all through the rebuild: each read must be the whole read model.
    const seen = new Map<string, number>();
    let reading = true;
    const reader = (async () => {
      while (reading) {
        const rows = await store.db.query<{ orders: number; paid: number; refunded: number; statuses: string }>(
          `SELECT count(*)::int AS orders, coalesce(sum(paid), 0)::float8 AS paid,
             coalesce(sum(refunded), 0)::float8 AS refunded, count(DISTINCT status)::int AS statuses
           FROM rm.order_summary`,
        );
        const key = JSON.stringify(rows[0]);
        seen.set(key, (seen.get(key) ?? 0) + 1);
      }
    })();
    const handle = await startRebuild(client, 'order_summary', {
      taskQueue: worker.taskQueue,
      scope,
      batchSize: 100,
      activityMs: 0,
      batchesPerRun: 3,
    });
    const result = await handle.result();
    reading = false;
    await reader;
    expect(result.version).toBe(2);
    expect(result.swap?.serving).toBe(2);
    expect(result.swap?.previous).toBe(1);
    expect(result.runs).toBeGreaterThan(1);
    expect(result.applied + (result.swap?.caughtUp ?? 0)).toBe((await storeHead(store.db)).position);
    expect([...seen.keys()]).toEqual([whole]);
    expect([...seen.values()].reduce((a, b) => a + b)).toBeGreaterThan(5);
    expect(await readModel(store.db, 'order_summary')).toEqual(expected.order_summary);
    const described = await handle.describe();
    expect(described.typedSearchAttributes.get(StreamPosition)).toBeGreaterThan(0);
    const status = await projectionStatus(store.db, 'order_summary');
    expect(status.versions.map((v) => [v.version, v.state])).toEqual([
      [1, 'retired'],
      [2, 'serving'],
    ]);

    // New events reach version 2 through the following projection; a rollback catches version 1 up and serves it.
    await appendWorkload(store.db, 40, { prefix: 's' });
    await waitFor('the projections to follow', caughtUp, 30_000);
    const rolled = await rollbackProjection(client, 'order_summary', scope);
    expect(rolled).toMatchObject({ serving: 1, previous: 2 });
    expect(rolled.caughtUp).toBeGreaterThan(0);
    const now = foldReadModels(await allEvents(store.db));
    expect(await readModel(store.db, 'order_summary')).toEqual(now.order_summary);
    await appendWorkload(store.db, 10, { prefix: 't' });
    await waitFor('the projections to follow', caughtUp, 30_000);
    expect(await readModel(store.db, 'order_summary')).toEqual(foldReadModels(await allEvents(store.db)).order_summary);
  });

  it('--until builds the read model as of a past position, equal to a fold of that prefix, and keeps it aside', async () => {
    const head = (await storeHead(store.db)).position;
    const until = Math.floor(head / 2);
    const handle = await startRebuild(client, 'daily_revenue', {
      taskQueue: worker.taskQueue,
      scope,
      until: { position: until },
      batchSize: 64,
    });
    const result = await handle.result();
    expect(result).toMatchObject({ untilPosition: until, applied: until });
    // One activity folds batch after batch (each committed) for a couple of seconds before it reports back.
    expect(until / 64).toBeGreaterThan(4);
    expect(result.batches).toBeLessThan(until / 64);
    expect(result.swap).toBeUndefined();
    const prefix = foldReadModels(await allEvents(store.db, until));
    expect(await readModel(store.db, 'daily_revenue', versionTable('daily_revenue', result.version))).toEqual(
      prefix.daily_revenue,
    );
    expect((await projectionStatus(store.db, 'daily_revenue')).serving).toBe(1);
    const full = foldReadModels(await allEvents(store.db));
    expect(full.daily_revenue).not.toEqual(prefix.daily_revenue);
    expect(await readModel(store.db, 'daily_revenue')).toEqual(full.daily_revenue);
  });

  it('--until on order_summary folds the prefix in stream order, batch by batch, equal to a fold of that prefix', async () => {
    const head = (await storeHead(store.db)).position;
    const until = Math.floor(head / 3);
    const handle = await startRebuild(client, 'order_summary', {
      taskQueue: worker.taskQueue,
      scope,
      until: { position: until },
      batchSize: 25,
      activityMs: 0,
    });
    const result = await handle.result();
    expect(result).toMatchObject({ untilPosition: until, applied: until });
    expect(result.batches).toBeGreaterThan(2);
    const version = (await projectionStatus(store.db, 'order_summary')).versions.find(
      (v) => v.version === result.version,
    );
    expect(version).toMatchObject({ checkpoint: until, state: 'as-of' });
    expect(version?.streamPass).toBeUndefined();
    expect(await readModel(store.db, 'order_summary', versionTable('order_summary', result.version))).toEqual(
      foldReadModels(await allEvents(store.db, until)).order_summary,
    );
  });
});

function totals(rows: Record<string, unknown>[]): Record<string, number> {
  return {
    orders: rows.length,
    paid: rows.reduce((a, r) => a + Number(r.paid), 0),
    refunded: rows.reduce((a, r) => a + Number(r.refunded), 0),
    statuses: new Set(rows.map((r) => r.status)).size,
  };
}
