import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendOrderCommand, startRebuild, stopProjections } from '../../src/events/client.js';
import { CommandRequest } from '../../src/events/domain.js';
import { projectionStatus } from '../../src/events/projections.js';
import { handleCommand, storeHead } from '../../src/events/store.js';
import { cli } from '../cli-process.js';
import { startWorker, testClient, unique, waitFor, type TestWorker } from '../helpers.js';
import { foldReadModels, allEvents, readModel } from './fold.js';
import { orderData, startStore, type TestStore } from './setup.js';

describe('the event-sourcing CLI and client function (PostgreSQL 15)', () => {
  let store: TestStore;
  let worker: TestWorker;
  let client: Client;
  let closeClient: () => Promise<void>;
  const dir = mkdtempSync(join(tmpdir(), 'events-cli-'));
  let env: Record<string, string>;

  beforeAll(async () => {
    store = await startStore('postgres');
    ({ client, close: closeClient } = await testClient());
    worker = await startWorker({ eventStore: store.db });
    env = { EVENT_STORE_URL: store.db.url, STREAM_COLLAB_TASK_QUEUE: worker.taskQueue, OUT_DIR: dir };
  });
  afterAll(async () => {
    await stopProjections(client);
    await worker?.stop();
    await closeClient?.();
    await store?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('commands: appended with positions, refused with exit 1, malformed with exit 2; events prints the stream', async () => {
    const stream = `order/${unique('cli')}`;
    const order = join(dir, 'order.yaml');
    const data = orderData('cust-cli', '2026-11-02', 2000);
    writeFileSync(
      order,
      Object.entries(data)
        .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
        .join('\n'),
    );
    const placed = await cli(['command', stream, 'PlaceOrder', '--data', order, '--id', 'cli-place'], env);
    expect(placed.stderr).toBe('');
    expect(placed.code).toBe(0);
    expect(placed.stdout).toMatch(/#\d+ {2}v1 {2}OrderPlaced/);
    const again = await cli(['command', stream, 'PlaceOrder', '--data', order, '--id', 'cli-place', '--json'], env);
    // Within one run of the aggregate Temporal answers a repeated update id with the first result; either way the
    // command appended once.
    expect(JSON.parse(again.stdout)).toMatchObject({
      commandId: 'cli-place',
      events: [{ type: 'OrderPlaced', version: 1 }],
    });
    expect(placed.stdout).toContain(
      `#${(JSON.parse(again.stdout) as { events: { position: number }[] }).events[0]?.position}  v1`,
    );
    const ship = await cli(['command', stream, 'ShipOrder'], env);
    expect(ship.code).toBe(1);
    expect(ship.stderr).toContain('CommandRejected: an unpaid order cannot be shipped');
    const bad = join(dir, 'pay.yaml');
    writeFileSync(bad, 'amount: -3\n');
    const malformed = await cli(['command', stream, 'PayOrder', '--data', bad], env);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('amount');
    expect((await cli(['command', stream, 'Teleport'], env)).code).toBe(2);
    // The same from a script, through the exported function.
    const paid = await sendOrderCommand(
      client,
      stream,
      { type: 'PayOrder', data: { amount: data.order_total as number } },
      {
        taskQueue: worker.taskQueue,
      },
    );
    expect(paid.events.map((e) => e.type)).toEqual(['OrderPaid']);
    const events = await cli(['events', stream], env);
    expect(events.code).toBe(0);
    expect(
      events.stdout
        .trim()
        .split('\n')
        .map((l) => l.split('  ')[2]),
    ).toHaveLength(2);
    expect(events.stdout).toContain('(command cli-place)');
  });

  it('projection start, list, rebuild --wait, rollback, and rebuild --until', async () => {
    expect((await cli(['projection', 'start'], env)).code).toBe(0);
    const head = (await storeHead(store.db)).position;
    await waitFor(
      'order_summary to catch up',
      async () => (await projectionStatus(store.db, 'order_summary')).checkpoint === head,
    );
    const list = await cli(['projection', 'list', '--json'], env);
    expect(JSON.parse(list.stdout)).toHaveLength(3);
    const rebuilt = await cli(['projection', 'rebuild', 'order_summary', '--wait'], env);
    expect(rebuilt.stderr).toBe('');
    expect(rebuilt.stdout).toContain('order_summary: v2 serves (was v1)');
    expect(rebuilt.stdout).toMatch(/events replayed by \d+ batch activit(y|ies)\n/);
    expect(await readModel(store.db, 'order_summary')).toEqual(foldReadModels(await allEvents(store.db)).order_summary);
    const rolled = await cli(['projection', 'rollback', 'order_summary'], env);
    expect(rolled.stdout).toContain('v1 serves again (was v2)');
    const asOf = await cli(['projection', 'rebuild', 'daily_revenue', '--until', '1', '--wait'], env);
    expect(asOf.stdout).toContain('built as of position 1; read it as rm.daily_revenue_v2');
    const status = await cli(['projection', 'status', 'daily_revenue'], env);
    expect(status.stdout).toMatch(/v2 {2}as-of/);
    expect((await cli(['projection', 'rollback', 'daily_revenue'], env)).code).toBe(1);
    expect((await cli(['projection', 'status', 'nope'], env)).code).toBe(2);
  });

  it('projection status --watch prints the rebuild as it goes and returns when it is done', async () => {
    // Enough events for a rebuild of one event per activity to take several seconds.
    for (let i = 0; i < 60; i++) {
      const stream = `order/${unique('watch')}`;
      await handleCommand(
        store.db,
        stream,
        CommandRequest.parse({
          commandId: `${stream}/place`,
          command: { type: 'PlaceOrder', data: orderData(`w${i}`, '2026-11-03', 1000) },
        }),
        { correlationId: 'watch-test' },
      );
      await handleCommand(
        store.db,
        stream,
        CommandRequest.parse({ commandId: `${stream}/pay`, command: { type: 'PayOrder', data: { amount: 500 } } }),
        { correlationId: 'watch-test' },
      );
    }
    const handle = await startRebuild(client, 'order_summary', {
      taskQueue: worker.taskQueue,
      batchSize: 1,
      activityMs: 0,
    });
    const watched = cli(['projection', 'status', 'order_summary', '--watch'], env);
    const result = await handle.result();
    const { code, stdout, stderr } = await watched;
    expect(stderr).toBe('');
    expect(code).toBe(0);
    // A status block per second while it ran, the stream pass's progress rising in them, and the swap at the end.
    const folded = [...stdout.matchAll(/stream pass: (\d+) events folded/g)].map((m) => Number(m[1]));
    expect(new Set(folded).size).toBeGreaterThan(1);
    expect(folded).toEqual([...folded].sort((a, b) => a - b));
    expect(stdout.trimEnd().split('\n').slice(-4).join('\n')).toMatch(
      new RegExp(`order_summary +v${result.version} serving`),
    );
  });
});
