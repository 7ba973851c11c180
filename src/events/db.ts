import pg from 'pg';

/** Which server holds the event store: a real PostgreSQL, or the embedded PGlite served over the wire protocol. */
export type EventStoreEngine = 'postgres' | 'pglite';

/**
 * The event store's connection, one `pg` code path for both engines. A real server gets a pool, so commands on
 * different orders and projections run their transactions side by side. PGlite is one session shared by every
 * client of its socket, so transactions there would not isolate: this process runs them one at a time on one
 * connection (other processes' clients wait while one of ours is inside a transaction).
 */
export interface EventDb {
  readonly url: string;
  readonly engine: EventStoreEngine;
  /** Runs `fn` in one transaction (READ COMMITTED), committed if it returns, rolled back if it throws. */
  transaction<T>(fn: (client: pg.ClientBase) => Promise<T>): Promise<T>;
  /** One statement outside a transaction. */
  query<R extends pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<R[]>;
  close(): Promise<void>;
}

export function openEventDb(url: string, engine: EventStoreEngine, poolSize = 10): EventDb {
  if (engine === 'postgres') {
    const pool = new pg.Pool({ connectionString: url, max: poolSize });
    // A server restart fails the pending queries; without a listener it would also crash the worker.
    pool.on('error', () => undefined);
    return {
      url,
      engine,
      async transaction(fn) {
        const client = await pool.connect();
        try {
          return await inTransaction(client, fn);
        } finally {
          client.release();
        }
      },
      async query<R extends pg.QueryResultRow>(sql: string, params?: unknown[]) {
        return (await pool.query<R>(sql, params)).rows;
      },
      close: () => pool.end(),
    };
  }
  let client: pg.Client | undefined;
  let tail: Promise<unknown> = Promise.resolve();
  const connected = async (): Promise<pg.Client> => {
    if (client !== undefined) return client;
    const fresh = new pg.Client({ connectionString: url });
    fresh.on('error', () => {
      if (client === fresh) client = undefined;
    });
    await fresh.connect();
    client = fresh;
    return fresh;
  };
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn);
    tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  };
  return {
    url,
    engine,
    transaction: (fn) => serial(async () => inTransaction(await connected(), fn)),
    query: <R extends pg.QueryResultRow>(sql: string, params?: unknown[]) =>
      serial(async () => (await (await connected()).query<R>(sql, params)).rows),
    close: () =>
      serial(async () => {
        await client?.end();
        client = undefined;
      }),
  };
}

async function inTransaction<T>(client: pg.ClientBase, fn: (client: pg.ClientBase) => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** PostgreSQL's SQLSTATE of a failed statement, if it is one. */
export function sqlState(err: unknown): string | undefined {
  const code: unknown = err instanceof Error ? Reflect.get(err, 'code') : undefined;
  return typeof code === 'string' ? code : undefined;
}
