import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendOrderCommand, startProjections, startRebuild, stopProjections } from '../../src/events/client.js';
import { decide, EMPTY_ORDER, evolve } from '../../src/events/domain.js';
import { PROJECTION_NAMES, projectionStatus } from '../../src/events/projections.js';
import { commandsFor, syntheticOrders } from '../../src/events/shop.js';
import { readAll, storeHead } from '../../src/events/store.js';
import { testClient, unique, waitFor } from '../helpers.js';
import { waitForOutput, type Running } from '../processes.js';
import { startWorkerProcess } from '../worker-process.js';
import { allEvents, foldReadModels, readModel } from './fold.js';
import { ENGINES, startStore, type TestStore } from './setup.js';
import { appendWorkload } from './workload.js';

/**
 * A worker process SIGKILLed (its whole process group) in the middle of commands, of a projection's catch-up and of
 * a rebuild; a new worker takes over. Every read model must then equal a from-scratch fold of the events: no event
 * lost, none applied twice; and every command must have appended exactly once.
 */
describe.each(ENGINES)('a worker killed mid-work, event store on %s', (engine) => {
  let store: TestStore;
  let client: Client;
  let closeClient: () => Promise<void>;
  let worker: Running | undefined;
  const taskQueue = unique('tq-kill');
  const scope = unique(`kill-${engine}`);
  const outDir = mkdtempSync(join(tmpdir(), 'events-kill-'));

  const startWorker = async (): Promise<Running> => {
    const p = startWorkerProcess({
      EVENT_STORE_URL: store.db.url,
      EVENT_STORE_ENGINE: engine,
      STREAM_COLLAB_TASK_QUEUE: taskQueue,
      OUT_DIR: outDir,
    });
    await waitForOutput(p, 'worker: task queue');
    return p;
  };
  const killAndReplace = async (): Promise<void> => {
    worker?.killGroup();
    await worker?.exited;
    worker = await startWorker();
  };
  const caughtUp = async (): Promise<boolean> => {
    const head = (await storeHead(store.db)).position;
    const all = await Promise.all(PROJECTION_NAMES.map((n) => projectionStatus(store.db, n)));
    return all.every((s) => s.checkpoint === head);
  };

  beforeAll(async () => {
    store = await startStore(engine);
    ({ client, close: closeClient } = await testClient());
    worker = await startWorker();
  });
  afterAll(async () => {
    await stopProjections(client, scope);
    await worker?.stop();
    await closeClient?.();
    await store?.stop();
    rmSync(outDir, { recursive: true, force: true });
  });

  it('commands in flight when the worker dies are appended exactly once', async () => {
    const orders = syntheticOrders(30, { prefix: `k${engine}` });
    let done = 0;
    const lanes = orders.map(async (order) => {
      for (const [k, command] of commandsFor(order).entries()) {
        await sendOrderCommand(client, `order/${order.id}`, command, {
          taskQueue,
          commandId: `${order.id}/${k}`,
        }).catch((err: unknown) => {
          if (!(err instanceof Error && err.name === 'CommandRejectedError')) throw err;
        });
        done += 1;
      }
    });
    await waitFor('some commands to be handled', () => done >= 20, 60_000);
    await killAndReplace();
    await Promise.all(lanes);
    const events = await readAll(store.db);
    for (const order of orders) {
      let state = EMPTY_ORDER;
      const expected: string[] = [];
      for (const command of commandsFor(order)) {
        const decision = decide(state, command);
        if ('events' in decision)
          for (const e of decision.events) {
            expected.push(e.type);
            state = evolve(state, e);
          }
      }
      expect(events.filter((e) => e.streamId === `order/${order.id}`).map((e) => e.type)).toEqual(expected);
    }
  });

  it('a projection killed mid-catch-up resumes from its checkpoint: read models equal the fold', async () => {
    await appendWorkload(store.db, 600, { prefix: 'm' });
    const head = (await storeHead(store.db)).position;
    await startProjections(client, { taskQueue, scope, batchSize: 20, waitMs: 500, batchesPerRun: 50 });
    let at = 0;
    await waitFor(
      'order_summary to be partway',
      async () => (at = (await projectionStatus(store.db, 'order_summary')).checkpoint) > 0,
      60_000,
    );
    await killAndReplace();
    expect(at).toBeLessThan(head);
    await waitFor('the projections to catch up', caughtUp, 120_000);
    const expected = foldReadModels(await allEvents(store.db));
    for (const name of PROJECTION_NAMES) expect(await readModel(store.db, name)).toEqual(expected[name]);
  }, 180_000);

  it('a rebuild killed midway resumes from its own checkpoint and swaps once caught up', async () => {
    const head = (await storeHead(store.db)).position;
    const handle = await startRebuild(client, 'customer_ltv', {
      taskQueue,
      scope,
      batchSize: 40,
      activityMs: 0,
      batchesPerRun: 10,
    });
    let at = 0;
    await waitFor(
      'the rebuild to be partway',
      async () =>
        (at =
          (await projectionStatus(store.db, 'customer_ltv')).versions.find((v) => v.version === 2)?.checkpoint ?? 0) >
        0,
      60_000,
    );
    await killAndReplace();
    expect(at).toBeLessThan(head);
    const result = await handle.result();
    expect(result.swap?.serving).toBe(2);
    const expected = foldReadModels(await allEvents(store.db));
    expect(await readModel(store.db, 'customer_ltv')).toEqual(expected.customer_ltv);
    console.log(`[${engine}] rebuild killed at checkpoint ${at} of ${head}; resumed in ${result.runs} runs`);
  }, 180_000);

  it('a rebuild killed in its stream pass resumes from its cursor: no order folded twice or skipped', async () => {
    const head = (await storeHead(store.db)).position;
    const handle = await startRebuild(client, 'order_summary', {
      taskQueue,
      scope,
      batchSize: 5,
      activityMs: 0,
      batchesPerRun: 20,
    });
    const pass = async () =>
      (await projectionStatus(store.db, 'order_summary')).versions.find((v) =>
        v.rebuildId?.startsWith(handle.workflowId),
      )?.streamPass?.events ?? 0;
    let at = 0;
    await waitFor('the stream pass to be partway', async () => (at = await pass()) > 0, 60_000);
    await killAndReplace();
    expect(at).toBeLessThan(head);
    const result = await handle.result();
    expect(result.swap?.serving).toBe(result.version);
    const expected = foldReadModels(await allEvents(store.db));
    expect(await readModel(store.db, 'order_summary')).toEqual(expected.order_summary);
    console.log(
      `[${engine}] rebuild killed ${at} events into its stream pass of ${head}; resumed in ${result.runs} runs`,
    );
  }, 180_000);
});
