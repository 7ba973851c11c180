import type { Client } from '@temporalio/client';
import { withSource } from '../etl/source.js';
import { CommandRejectedError, sendOrderCommand, startProjections, startRebuild } from './client.js';
import type { EventDb } from './db.js';
import { PROJECTION_NAMES, projectionStatus } from './projections.js';
import { commandsFor, readShopOrders } from './shop.js';
import { readStream, storeHead } from './store.js';

/** How many of the sample shop's orders the demo turns into commands. */
export const DEMO_ORDERS = 300;

/**
 * The event-sourcing part of `npm run demo`: the sample shop's first orders become commands (place, pay, ship,
 * cancel, refund; a few the shop refuses), sent through their aggregate workflows ten at a time; the projections
 * follow; then `order_summary` is rebuilt from position 0 and swapped in. Returns 0, or 1 if something did not add up.
 */
export async function runEventsDemo(
  client: Client,
  db: EventDb,
  options: { sourceUrl: string; taskQueue: string; log: (line: string) => void },
): Promise<number> {
  const { log, taskQueue } = options;
  const orders = await withSource(options.sourceUrl, (c) => readShopOrders(c, { limit: DEMO_ORDERS }));
  await startProjections(client, { taskQueue });
  log(
    `event sourcing: ${orders.length} shop orders as commands, event store ${db.engine === 'pglite' ? 'embedded PGlite' : 'EVENT_STORE_URL'}`,
  );
  let appended = 0;
  let refused = 0;
  let next = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      for (let i = next++; i < orders.length; i = next++) {
        const order = orders[i];
        if (order === undefined) continue;
        for (const [k, command] of commandsFor(order).entries()) {
          try {
            const result = await sendOrderCommand(client, `order/${order.id}`, command, {
              taskQueue,
              commandId: `demo/${order.id}/${k}`,
            });
            appended += result.events.length;
          } catch (err) {
            if (!(err instanceof CommandRejectedError)) throw err;
            refused += 1;
          }
        }
      }
    }),
  );
  log(
    `  ${appended} events appended in ${((Date.now() - started) / 1000).toFixed(1)} s; ${refused} commands refused by the shop (nothing written)`,
  );
  const sample = orders.find((o) => commandsFor(o).length >= 4);
  if (sample !== undefined) {
    log(`  npx stream-collab events order/${sample.id}`);
    for (const e of await readStream(db, `order/${sample.id}`))
      log(`    #${e.position} v${e.version} ${e.type} ${JSON.stringify(e.event.data)}`);
  }
  const head = (await storeHead(db)).position;
  for (let waited = 0; waited < 30_000; waited += 200) {
    const all = await Promise.all(PROJECTION_NAMES.map((n) => projectionStatus(db, n)));
    if (all.every((s) => s.checkpoint >= head)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  for (const name of PROJECTION_NAMES) {
    const s = await projectionStatus(db, name);
    log(
      `  projection ${name}: v${s.serving} serving, checkpoint ${s.checkpoint} of ${s.head}, lag ${s.lagEvents} events`,
    );
  }
  const handle = await startRebuild(client, 'order_summary', { taskQueue });
  const result = await handle.result();
  log(
    `  rebuild order_summary: replayed ${result.applied + (result.swap?.caughtUp ?? 0)} events from position 0 into v${result.version} ` +
      `while v${result.swap?.previous ?? '-'} served; swapped atomically (rollback: npx stream-collab projection rollback order_summary)`,
  );
  const summary = await db.query<{ status: string; n: number }>(
    'SELECT status, count(*)::int AS n FROM rm.order_summary GROUP BY status ORDER BY status',
  );
  log(`  rm.order_summary now: ${summary.map((r) => `${r.n} ${r.status}`).join(', ')}\n`);
  const rows = summary.reduce((a, r) => a + r.n, 0);
  return rows === orders.length && result.swap !== undefined ? 0 : 1;
}
