import { startPgliteSource } from '../../src/etl/source.js';
import { openEventDb, type EventDb, type EventStoreEngine } from '../../src/events/db.js';
import { migrate } from '../../src/events/projections.js';
import { startPrivatePostgres } from '../etl/postgres.js';

/** An empty event store on a server of its own: PGlite over the wire protocol, or a private PostgreSQL 15. */
export interface TestStore {
  readonly db: EventDb;
  stop(): Promise<void>;
}

export const ENGINES: readonly EventStoreEngine[] = ['pglite', 'postgres'];

export async function startStore(engine: EventStoreEngine): Promise<TestStore> {
  const server = engine === 'pglite' ? await startPgliteSource() : await startPrivatePostgres();
  const db = openEventDb(server.url, engine);
  await migrate(db);
  return {
    db,
    async stop() {
      await db.close();
      if ('close' in server) await server.close();
      else await server.stop();
    },
  };
}

/** A placeable order: cents that add up. */
export function orderData(customer: string, day: string, subtotal: number): Record<string, unknown> {
  const tax = Math.round(subtotal * 0.06);
  return {
    customer,
    store_id: 'store-1',
    ordered_at: `${day}T12:00:00`,
    subtotal,
    tax_paid: tax,
    order_total: subtotal + tax,
  };
}
