import type { EventDb } from '../../src/events/db.js';
import { commandsFor, syntheticOrders } from '../../src/events/shop.js';
import { handleCommand } from '../../src/events/store.js';

/**
 * Appends the stories of `n` synthetic orders straight to the store (no Temporal: projections only see the store),
 * `parallel` orders at a time. Returns how many commands were refused (and so wrote nothing).
 */
export async function appendWorkload(
  db: EventDb,
  n: number,
  options: { prefix?: string; parallel?: number } = {},
): Promise<{ commands: number; rejected: number }> {
  const orders = syntheticOrders(n, { prefix: options.prefix ?? 'w' });
  let commands = 0;
  let rejected = 0;
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let i = next++; i < orders.length; i = next++) {
      const order = orders[i];
      if (order === undefined) continue;
      for (const [k, command] of commandsFor(order).entries()) {
        const outcome = await handleCommand(
          db,
          `order/${order.id}`,
          { commandId: `${order.id}/${k}`, command },
          {
            correlationId: 'test-workload',
          },
        );
        commands += 1;
        if (outcome.outcome === 'rejected') rejected += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: options.parallel ?? 4 }, lane));
  return { commands, rejected };
}
