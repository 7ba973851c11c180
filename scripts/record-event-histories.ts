import { mkdir, writeFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkflowHandle } from '@temporalio/client';
import { WorkflowIdConflictPolicy } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { parseAgentsFile } from '../src/agents/config.js';
import { AgentRegistry } from '../src/agents/registry.js';
import { startPgliteSource } from '../src/etl/source.js';
import {
  CommandRejectedError,
  rollbackProjection,
  sendOrderCommand,
  startProjections,
  startRebuild,
} from '../src/events/client.js';
import { openEventDb } from '../src/events/db.js';
import { migrate, projectionStatus } from '../src/events/projections.js';
import { storeHead } from '../src/events/store.js';
import { aggregateWorkflowId, projectionWorkflowId } from '../src/identity/index.js';
import { connectClient } from '../src/temporal/connection.js';
import { resolveServer } from '../src/temporal/devserver.js';
import { connectWorker } from '../src/temporal/worker-connection.js';
import { createWorker } from '../src/worker.js';
import { AGENTS_YAML } from '../bench/replies.js';
import { orderAggregate, orderCommandUpdate } from '../src/workflows/order-aggregate.js';

/**
 * `npm run record-event-histories -- <label>`: runs the event-sourcing workflows for real (an order aggregate
 * through a continue-as-new with a refusal and a malformed command; a projection through continue-as-new and a
 * rollback; a rebuild through continue-as-new and its swap; an as-of rebuild) on an embedded PGlite store, and writes
 * every run's history to test/fixtures/event-histories/<label>/, replayed by test/events/replay.test.ts. Never
 * overwrite a generation: old histories stand for workflows still in flight.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const label = process.argv[2];
if (label === undefined || !/^v\d+$/.test(label)) {
  console.error('usage: npm run record-event-histories -- v<N>');
  process.exit(2);
}
const OUT = join(ROOT, 'test', 'fixtures', 'event-histories', label);

Runtime.install({ logger: new DefaultLogger('WARN') });
const server = await resolveServer({ log: console.log });
const { client, close } = await connectClient(server.target);
const connection = await connectWorker(server.target);
const source = await startPgliteSource();
const db = openEventDb(source.url, 'pglite');
const outDir = await mkdtemp(join(tmpdir(), 'record-events-'));
const taskQueue = 'record-events';
const scope = 'record';

/** Every run of a workflow id, oldest first, each written as `<name>-<n>.json`. */
async function save(name: string, handle: WorkflowHandle): Promise<void> {
  const runs: string[] = [];
  for await (const w of client.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` })) runs.push(w.runId);
  runs.reverse();
  for (const [i, runId] of runs.entries()) {
    const history = await client.workflow.getHandle(handle.workflowId, runId).fetchHistory();
    await writeFile(join(OUT, `${name}-${i + 1}.json`), historyToJSON(history));
    console.log(`${name}-${i + 1}: ${history.events?.length ?? 0} events`);
  }
}

async function settled(what: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 300 && !(await what()); i++) await new Promise((r) => setTimeout(r, 100));
}

try {
  await mkdir(OUT, { recursive: false });
  await migrate(db);
  const worker = await createWorker({
    connection,
    namespace: server.target.namespace,
    taskQueue,
    agents: new AgentRegistry(parseAgentsFile(AGENTS_YAML, 'agents.yaml')),
    outDir,
    eventStore: db,
  });
  await worker.runUntil(async () => {
    const stream = 'order/record-1';
    const aggregate = await client.workflow.start(orderAggregate, {
      workflowId: aggregateWorkflowId(stream),
      taskQueue,
      args: [{ streamId: stream, commandsPerRun: 3, idleTimeout: '3s' }],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    });
    const send = (command: Record<string, unknown>, id: string) =>
      sendOrderCommand(client, stream, command, { taskQueue, commandId: id }).catch((err: unknown) => {
        if (!(err instanceof CommandRejectedError)) throw err;
        console.log(`refused as expected: ${err.type}: ${err.message}`);
      });
    const order = {
      customer: 'c1',
      store_id: 's1',
      ordered_at: '2026-11-01T12:00:00',
      subtotal: 100,
      tax_paid: 6,
      order_total: 106,
    };
    await send({ type: 'PlaceOrder', data: order }, 'r-1');
    await send({ type: 'ShipOrder', data: {} }, 'r-2');
    await send({ type: 'PayOrder', data: { amount: 106 } }, 'r-3');
    await send({ type: 'PayOrder', data: { amount: 106 } }, 'r-3');
    await client.workflow
      .getHandle(aggregateWorkflowId(stream))
      .executeUpdate(orderCommandUpdate.name, {
        args: [{ commandId: 'r-bad', command: { type: 'PayOrder', data: {} } }],
        updateId: 'r-bad',
      })
      .catch(() => console.log('malformed command rejected by the validator, as expected'));
    await send({ type: 'ShipOrder', data: {} }, 'r-4');
    await client.workflow.getHandle(aggregateWorkflowId(stream)).result();
    await save('order-aggregate', aggregate);

    for (let i = 2; i <= 6; i++) {
      await sendOrderCommand(
        client,
        `order/record-${i}`,
        { type: 'PlaceOrder', data: { ...order, customer: `c${i}` } },
        { taskQueue, commandId: `q-${i}` },
      );
    }
    await startProjections(client, { taskQueue, scope, batchSize: 2, waitMs: 300, batchesPerRun: 3 });
    const head = (await storeHead(db)).position;
    await settled(async () => (await projectionStatus(db, 'order_summary')).checkpoint >= head);
    const rebuild = await startRebuild(client, 'order_summary', { taskQueue, scope, batchSize: 2, batchesPerRun: 2 });
    console.log('rebuild', JSON.stringify(await rebuild.result()));
    await save('projection-rebuild', rebuild);
    console.log('rollback', JSON.stringify(await rollbackProjection(client, 'order_summary', scope)));
    const asOf = await startRebuild(client, 'daily_revenue', {
      taskQueue,
      scope,
      until: { position: 3 },
      batchSize: 2,
    });
    console.log('as-of', JSON.stringify(await asOf.result()));
    await save('projection-rebuild-until', asOf);
    const projection = client.workflow.getHandle(projectionWorkflowId('order_summary', scope));
    await projection.terminate('recorded');
    await save('projection', projection);
    for (const name of ['daily_revenue', 'customer_ltv'])
      await client.workflow.getHandle(projectionWorkflowId(name, scope)).terminate('recorded');
  });
} finally {
  await db.close();
  await source.close();
  await close();
  await connection.close();
  await server.stop();
  await rm(outDir, { recursive: true, force: true });
}
