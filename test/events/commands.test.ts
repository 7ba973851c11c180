import { WorkflowIdConflictPolicy } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandRejectedError, sendOrderCommand } from '../../src/events/client.js';
import { readAll, readStream } from '../../src/events/store.js';
import { aggregateWorkflowId, FailureType } from '../../src/identity/index.js';
import { orderAggregate, orderCommandUpdate } from '../../src/workflows/order-aggregate.js';
import { startWorker, testClient, unique, type TestWorker } from '../helpers.js';
import { ENGINES, orderData, startStore, type TestStore } from './setup.js';

describe.each(ENGINES)('order commands through Temporal, event store on %s', (engine) => {
  let store: TestStore;
  let worker: TestWorker;
  let client: Client;
  let closeClient: () => Promise<void>;

  beforeAll(async () => {
    store = await startStore(engine);
    ({ client, close: closeClient } = await testClient());
    worker = await startWorker({ eventStore: store.db });
  });
  afterAll(async () => {
    await worker?.stop();
    await closeClient?.();
    await store?.stop();
  });

  const send = (stream: string, command: Record<string, unknown>, commandId?: string) =>
    sendOrderCommand(client, stream, command, { taskQueue: worker.taskQueue, ...(commandId ? { commandId } : {}) });
  const place = (stream: string, subtotal = 1000) =>
    send(stream, { type: 'PlaceOrder', data: orderData('cust-1', '2026-11-01', subtotal) });

  it('appends events with positions, and refuses what the shop refuses without writing', async () => {
    const stream = `order/${unique('o')}`;
    const placed = await place(stream);
    expect(placed.outcome).toBe('appended');
    expect(placed.events.map((e) => [e.type, e.version])).toEqual([['OrderPlaced', 1]]);
    const refused = await send(stream, { type: 'ShipOrder', data: {} }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CommandRejectedError);
    expect(refused).toMatchObject({ type: FailureType.CommandRejected, message: 'an unpaid order cannot be shipped' });
    await send(stream, { type: 'PayOrder', data: { amount: 1060 } });
    const over = await send(stream, { type: 'RefundOrder', data: { amount: 2000 } }).catch((e: unknown) => e);
    expect(over).toMatchObject({ type: FailureType.CommandRejected });
    expect(String((over as Error).message)).toMatch(/more than the 1060 left/);
    const cancelled = await send(stream, { type: 'CancelOrder', data: { reason: 'changed mind' } });
    // Cancelling a paid order refunds it in the same append.
    expect(cancelled.events.map((e) => e.type)).toEqual(['OrderCancelled', 'OrderRefunded']);
    const closed = await send(stream, { type: 'RefundOrder', data: { amount: 1 } }).catch((e: unknown) => e);
    expect(String((closed as Error).message)).toMatch(/cancelled: it takes no more commands/);
    const events = await readStream(store.db, stream);
    expect(events.map((e) => e.type)).toEqual(['OrderPlaced', 'OrderPaid', 'OrderCancelled', 'OrderRefunded']);
    expect(events.every((e) => e.metadata.correlationId === aggregateWorkflowId(stream))).toBe(true);
  });

  it('rejects a malformed command in the validator, before it reaches history', async () => {
    const stream = `order/${unique('o')}`;
    await place(stream);
    const handle = client.workflow.getHandle(aggregateWorkflowId(stream));
    const bad = await handle
      .executeUpdate(orderCommandUpdate, {
        args: [{ commandId: 'bad-1', command: { type: 'PayOrder', data: { amount: -5 } } }],
        updateId: 'bad-1',
      })
      .catch((e: unknown) => e);
    expect(bad).toMatchObject({ name: 'WorkflowUpdateFailedError' });
    expect((bad as Error).cause).toMatchObject({ type: FailureType.ContractViolation });
    const history = await handle.fetchHistory();
    const accepted = (history.events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
    expect(accepted.map((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.protocolInstanceId)).not.toContain(
      'bad-1',
    );
    expect(accepted).toHaveLength(1);
    expect(await readStream(store.db, stream)).toHaveLength(1);
  });

  it('appends a retried command once, also after continue-as-new', async () => {
    const stream = `order/${unique('o')}`;
    // Two commands per run: the third arrives at a new run, where Temporal's update ids no longer dedup.
    const first = await client.workflow.start(orderAggregate, {
      workflowId: aggregateWorkflowId(stream),
      taskQueue: worker.taskQueue,
      args: [{ streamId: stream, commandsPerRun: 2 }],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    });
    await place(stream);
    const paid = await send(stream, { type: 'PayOrder', data: { amount: 1060 } }, 'pay-once');
    expect(paid.outcome).toBe('appended');
    const again = await send(stream, { type: 'PayOrder', data: { amount: 1060 } }, 'pay-once');
    // Within one run Temporal would answer with the first result ('appended'); this is the store's record.
    expect(again.outcome).toBe('duplicate');
    expect(again.events).toEqual(paid.events);
    const latest = await client.workflow.getHandle(aggregateWorkflowId(stream)).describe();
    expect(latest.runId).not.toBe(first.firstExecutionRunId);
    expect((await readStream(store.db, stream)).map((e) => e.type)).toEqual(['OrderPlaced', 'OrderPaid']);
  });

  it('serializes concurrent commands on one order and runs many orders side by side', async () => {
    const stream = `order/${unique('o')}`;
    await place(stream);
    await send(stream, { type: 'PayOrder', data: { amount: 1060 } });
    const refunds = await Promise.all(
      Array.from({ length: 10 }, () => send(stream, { type: 'RefundOrder', data: { amount: 7 } })),
    );
    expect(refunds.map((r) => r.events[0]?.version).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual([
      3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
    ]);
    const streams = Array.from({ length: 20 }, () => `order/${unique('p')}`);
    const before = (await readAll(store.db)).length;
    await Promise.all(
      streams.map(async (s) => {
        await place(s, 500);
        await send(s, { type: 'PayOrder', data: { amount: 530 } });
        await send(s, { type: 'ShipOrder', data: {} });
      }),
    );
    const after = await readAll(store.db, 0);
    const mine = after.slice(before).filter((e) => streams.includes(e.streamId));
    expect(mine).toHaveLength(60);
    // Gapless global positions, and the orders' events interleave: they were handled at the same time.
    expect(after.map((e) => e.position)).toEqual(after.map((_, i) => i + 1));
    const firstShip = mine.findIndex((e) => e.type === 'OrderShipped');
    const lastPlace = mine.map((e) => e.type).lastIndexOf('OrderPlaced');
    expect(lastPlace).toBeGreaterThan(firstShip === -1 ? Infinity : -1);
    expect(new Set(mine.slice(0, 20).map((e) => e.streamId)).size).toBeGreaterThan(1);
  });
});
