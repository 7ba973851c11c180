/**
 * `npm run bench:events`: event sourcing on a private PostgreSQL 15 (the tests' cluster helper) and one Temporal
 * dev server, worker in this process.
 *
 * 1. Commands through Temporal at concurrency 20 (order stories: place, pay, ship, …): commands/s, p50/p95
 *    latency, and the projections' lag (events, seconds) sampled while the load runs.
 * 2. A rebuild of one projection over N events (default 1,000,000, bulk-loaded in SQL), against a plain SQL fold of
 *    the same events without Temporal (one INSERT … SELECT … GROUP BY over the whole store): wall time, events/s,
 *    and this process's peak RSS (worker included). Goals: ≥ 50,000 events/s and ≤ 1.2× the plain fold.
 *
 * It prints figures; it asserts nothing.
 *
 *   npm run bench:events -- --commands 2000 --events 1000000 --projection order_summary --rounds 3
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { sendOrderCommand, startProjections, startRebuild, stopProjections } from '../src/events/client.js';
import { openEventDb } from '../src/events/db.js';
import {
  foldSql,
  isProjectionName,
  migrate,
  PROJECTION_NAMES,
  projectionStatus,
  type ProjectionName,
} from '../src/events/projections.js';
import { commandsFor, syntheticOrders } from '../src/events/shop.js';
import { storeHead } from '../src/events/store.js';
import { connectClient } from '../src/temporal/connection.js';
import { resolveServer } from '../src/temporal/devserver.js';
import { DEFAULT_REBUILD_BATCH } from '../src/workflows/projection-rebuild.js';
import { startPrivatePostgres } from '../test/etl/postgres.js';
import { benchWorker } from './worker.js';

const { values } = parseArgs({
  options: {
    commands: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '20' },
    events: { type: 'string', default: '1000000' },
    projection: { type: 'string', default: 'order_summary' },
    batch: { type: 'string' },
    rounds: { type: 'string', default: '3' },
  },
});
const totalCommands = Number(values.commands);
const concurrency = Number(values.concurrency);
const totalEvents = Number(values.events);
const name = values.projection ?? 'order_summary';
const batchSize = values.batch !== undefined ? Number(values.batch) : undefined;
const rounds = Number(values.rounds);
if (
  !isProjectionName(name) ||
  !(totalCommands >= 0) ||
  !(concurrency > 0) ||
  !(totalEvents >= 3) ||
  !Number.isInteger(rounds) ||
  rounds < 1
) {
  console.error(
    `usage: npm run bench:events -- [--commands N (0: skip)] [--concurrency N] [--events N] [--projection ${PROJECTION_NAMES.join('|')}] [--batch N] [--rounds N]`,
  );
  process.exit(2);
}
const projection: ProjectionName = name;

const pct = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
let peakRss = 0;
const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 100);

Runtime.install({ logger: new DefaultLogger('WARN') });
const pgServer = await startPrivatePostgres();
const server = await resolveServer({ log: (l) => console.log(`[server] ${l}`) });
const db = openEventDb(pgServer.url, 'postgres', 24);
const outDir = await mkdtemp(join(tmpdir(), 'bench-events-'));
const { client, close } = await connectClient(server.target);
const connection = await NativeConnection.connect(server.target.connection);
const taskQueue = `bench-events-${randomUUID().slice(0, 8)}`;
try {
  await migrate(db);
  const worker = await benchWorker({
    connection,
    namespace: server.target.namespace,
    taskQueue,
    outDir,
    eventStore: db,
  });
  await worker.runUntil(async () => {
    // 1. Commands at concurrency 20, projections following.
    if (totalCommands > 0) await commandLoad();
    await rebuildAgainstPlainFold();
  });

  async function commandLoad(): Promise<void> {
    await startProjections(client, { taskQueue });
    const orders = syntheticOrders(Math.ceil(totalCommands / 3) + concurrency, { prefix: 'bench' });
    const queue = orders.flatMap((o) => [{ order: o, commands: commandsFor(o) }]);
    const latencies: number[] = [];
    let rejected = 0;
    let sent = 0;
    const lags: { events: number; seconds: number }[] = [];
    let loading = true;
    const sampler = (async () => {
      while (loading) {
        const all = await Promise.all(PROJECTION_NAMES.map((n) => projectionStatus(db, n)));
        lags.push({
          events: Math.max(...all.map((s) => s.lagEvents)),
          seconds: Math.max(...all.map((s) => s.lagSeconds)),
        });
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let item = queue.shift(); item !== undefined && sent < totalCommands; item = queue.shift()) {
          for (const [k, command] of item.commands.entries()) {
            if (sent >= totalCommands) break;
            sent += 1;
            const t0 = performance.now();
            await sendOrderCommand(client, `order/${item.order.id}`, command, {
              taskQueue,
              commandId: `${item.order.id}/${k}`,
            }).catch((err: unknown) => {
              if (!(err instanceof Error && err.name === 'CommandRejectedError')) throw err;
              rejected += 1;
            });
            latencies.push(performance.now() - t0);
          }
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const head = (await storeHead(db)).position;
    const caughtUpFrom = performance.now();
    for (;;) {
      const all = await Promise.all(PROJECTION_NAMES.map((n) => projectionStatus(db, n)));
      if (all.every((s) => s.checkpoint >= head)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const drain = performance.now() - caughtUpFrom;
    loading = false;
    await sampler;
    latencies.sort((a, b) => a - b);
    const lagEvents = lags.map((l) => l.events).sort((a, b) => a - b);
    const lagSeconds = lags.map((l) => l.seconds).sort((a, b) => a - b);
    console.log(`\ncommands: ${latencies.length} at concurrency ${concurrency} (${rejected} refused by the shop)`);
    console.log(
      `  ${(latencies.length / seconds).toFixed(0)} commands/s · p50 ${pct(latencies, 0.5).toFixed(1)} ms · p95 ${pct(latencies, 0.95).toFixed(1)} ms · max ${pct(latencies, 1).toFixed(1)} ms`,
    );
    console.log(
      `  projection lag under load (worst of the three, ${lags.length} samples): p50 ${pct(lagEvents, 0.5)} events / ${pct(lagSeconds, 0.5).toFixed(2)} s, ` +
        `p95 ${pct(lagEvents, 0.95)} events / ${pct(lagSeconds, 0.95).toFixed(2)} s, max ${pct(lagEvents, 1)} events; caught up ${drain.toFixed(0)} ms after the last command`,
    );
    await stopProjections(client);
  }

  async function rebuildAgainstPlainFold(): Promise<void> {
    const head = (await storeHead(db)).position;
    // 2. N events, bulk-loaded: orders of three events each (placed, paid, shipped).
    const loadFrom = performance.now();
    const ordersToLoad = Math.ceil(Math.max(0, totalEvents - head) / 3);
    const CHUNK = 50_000;
    for (let o = 0; o < ordersToLoad; o += CHUNK) {
      await db.transaction(async (c) => {
        const n = Math.min(CHUNK, ordersToLoad - o);
        await c.query(
          `INSERT INTO es.events (position, stream_id, version, type, schema, data, metadata)
           SELECT h.position + (o - 1) * 3 + k, 'order/bulk' || ($1::int + o), k,
             CASE k WHEN 1 THEN 'OrderPlaced' WHEN 2 THEN 'OrderPaid' ELSE 'OrderShipped' END, 1,
             CASE k WHEN 1 THEN jsonb_build_object('customer', 'c' || (o % 20000), 'store_id', 'store-' || (o % 4),
                    'ordered_at', to_char(timestamp '2025-01-01' + (o % 365) * interval '1 day'
                                          + (o % 86400) * interval '1 second', 'YYYY-MM-DD"T"HH24:MI:SS'),
                    'subtotal', 100 * (1 + o % 80), 'tax_paid', 6 * (1 + o % 80), 'order_total', 106 * (1 + o % 80))
                    WHEN 2 THEN jsonb_build_object('amount', 106 * (1 + o % 80)) ELSE '{}'::jsonb END,
             jsonb_build_object('command_id', 'bulk-' || ($1::int + o) || '-' || k, 'correlation_id', 'bench-load')
           FROM generate_series(1, $2::int) AS o CROSS JOIN generate_series(1, 3) AS k, es.head h`,
          [o, n],
        );
        await c.query('UPDATE es.head SET position = position + $1', [n * 3]);
      });
    }
    await db.query('ANALYZE es.events');
    const events = (await storeHead(db)).position;
    console.log(
      `\nstore: ${events} events (${ordersToLoad * 3} bulk-loaded in ${((performance.now() - loadFrom) / 1000).toFixed(1)} s)`,
    );

    // The baseline: the same fold as one SQL statement over the whole store, no Temporal, no batches.
    const plainFold = async (): Promise<number> => {
      const plain = foldSql(projection, 'rm.bench_plain_fold');
      const from = performance.now();
      await db.transaction(async (c) => {
        await c.query(plain.create);
        await c.query(plain.apply, [0, events]);
      });
      const ms = performance.now() - from;
      await db.query('DROP TABLE rm.bench_plain_fold');
      return ms;
    };
    const rebuild = async (): Promise<number> => {
      const rssBefore = process.memoryUsage.rss();
      peakRss = rssBefore;
      const from = performance.now();
      const handle = await startRebuild(client, projection, {
        taskQueue,
        ...(batchSize !== undefined ? { batchSize } : {}),
      });
      const result = await handle.result();
      const ms = performance.now() - from;
      const replayed = result.applied + (result.swap?.caughtUp ?? 0);
      console.log(
        `  Temporal rebuild of ${name} over ${replayed} events: ${(ms / 1000).toFixed(2)} s, ${Math.round(replayed / (ms / 1000))} events/s ` +
          `(batches of ≤ ${(batchSize ?? DEFAULT_REBUILD_BATCH).toLocaleString('en')} events in ${result.batches} activities, ${result.runs} runs, swap to v${result.swap?.serving}); ` +
          `RSS of this process (bench + worker) ${mb(rssBefore)} before, peak ${mb(peakRss)} during`,
      );
      return ms;
    };
    // Rounds alternate which side goes first, so neither always meets a cold cache.
    const ratios: number[] = [];
    for (let round = 1; round <= rounds; round++) {
      console.log(`\nround ${round} (${round % 2 === 1 ? 'plain fold first' : 'rebuild first'}):`);
      let plainMs = 0;
      let rebuildMs = 0;
      if (round % 2 === 1) {
        plainMs = await plainFold();
        rebuildMs = await rebuild();
      } else {
        rebuildMs = await rebuild();
        plainMs = await plainFold();
      }
      console.log(
        `  plain SQL fold: ${(plainMs / 1000).toFixed(2)} s, ${Math.round(events / (plainMs / 1000))} events/s`,
      );
      console.log(
        `  rebuild / plain fold: ${(rebuildMs / plainMs).toFixed(2)}×; events/s ${Math.round(events / (rebuildMs / 1000))}`,
      );
      ratios.push(rebuildMs / plainMs);
    }
    const median = [...ratios].sort((x, y) => x - y)[Math.floor(ratios.length / 2)] ?? NaN;
    console.log(
      `\nrebuild / plain fold over ${rounds} rounds: ${ratios.map((r) => `${r.toFixed(2)}×`).join(', ')}; median ${median.toFixed(2)}× (goal ≤ 1.2×: ${median <= 1.2 ? 'met' : 'not met'}); events/s goal ≥ 50,000 (see each round)`,
    );
  }
} finally {
  clearInterval(rssTimer);
  await db.close();
  await connection.close();
  await close();
  await server.stop();
  await pgServer.stop();
  await rm(outDir, { recursive: true, force: true });
}
