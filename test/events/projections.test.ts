import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProjections, stopProjections } from '../../src/events/client.js';
import { PROJECTION_NAMES, projectionStatus } from '../../src/events/projections.js';
import { storeHead } from '../../src/events/store.js';
import { startWorker, testClient, unique, waitFor, type TestWorker } from '../helpers.js';
import { allEvents, foldReadModels, readModel } from './fold.js';
import { ENGINES, startStore, type TestStore } from './setup.js';
import { appendWorkload } from './workload.js';

describe.each(ENGINES)('projections on %s', (engine) => {
  let store: TestStore;
  let worker: TestWorker;
  let client: Client;
  let closeClient: () => Promise<void>;
  const scope = unique(`proj-${engine}`);

  beforeAll(async () => {
    store = await startStore(engine);
    ({ client, close: closeClient } = await testClient());
    worker = await startWorker({ eventStore: store.db });
  });
  afterAll(async () => {
    await stopProjections(client, scope);
    await worker?.stop();
    await closeClient?.();
    await store?.stop();
  });

  const caughtUp = async (): Promise<boolean> => {
    const head = (await storeHead(store.db)).position;
    const all = await Promise.all(PROJECTION_NAMES.map((n) => projectionStatus(store.db, n)));
    return all.every((s) => s.checkpoint === head);
  };

  it('catch up in batches, follow new events, and equal a from-scratch fold of the store', async () => {
    const first = await appendWorkload(store.db, 200, { prefix: 'a' });
    expect(first.rejected).toBeGreaterThan(0);
    // Small batches and runs, so catching up takes many transactions and several continue-as-new.
    await startProjections(client, {
      taskQueue: worker.taskQueue,
      scope,
      batchSize: 40,
      waitMs: 500,
      batchesPerRun: 4,
    });
    await waitFor('the projections to catch up', caughtUp, 60_000);
    let expected = foldReadModels(await allEvents(store.db));
    for (const name of PROJECTION_NAMES) expect(await readModel(store.db, name)).toEqual(expected[name]);
    expect(expected.order_summary).toHaveLength(200);

    // Following: events appended now reach the read models without a restart.
    const appendedAt = Date.now();
    await appendWorkload(store.db, 50, { prefix: 'b' });
    await waitFor('the projections to follow', caughtUp, 30_000);
    console.log(
      `[${engine}] 50 orders' events reached all three read models ${Date.now() - appendedAt} ms after the first append`,
    );
    expected = foldReadModels(await allEvents(store.db));
    for (const name of PROJECTION_NAMES) expect(await readModel(store.db, name)).toEqual(expected[name]);
    const runs = await client.workflow.getHandle(`projection/${scope}/order_summary`).describe();
    expect(runs.runId).not.toBe(runs.raw.workflowExecutionInfo?.firstRunId);
  });
});
