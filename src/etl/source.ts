import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import pg from 'pg';

/** A PostgreSQL-protocol source the extract and the sample-data loader connect to with `pg`. */
export interface SourceDatabase {
  /** A `postgres://` URL; holds a password only if the environment's URL did. Never log it. */
  readonly url: string;
  /** `postgres` for a real server named by SOURCE_DATABASE_URL, `pglite` for the embedded default. */
  readonly engine: 'postgres' | 'pglite';
  /** Stops the embedded server (a no-op for a real server, which is not ours to stop). */
  close(): Promise<void>;
}

/**
 * Starts PGlite in this process and serves it over the PostgreSQL wire protocol on 127.0.0.1, so the same `pg`
 * code path serves the embedded default and a real server. PGlite is one session: pglite-socket takes up to
 * `maxConnections` clients and runs their messages in turn on it (a client inside a transaction keeps it until
 * COMMIT), so concurrent extracts — each one SELECT per table — can share it; their transactions do not isolate as
 * on a real server. `dataDir` keeps the database between runs; without it the database lives in memory.
 */
export async function startPgliteSource(options: { dataDir?: string; port?: number } = {}): Promise<SourceDatabase> {
  if (options.dataDir !== undefined) await mkdir(options.dataDir, { recursive: true });
  const db = await PGlite.create(options.dataDir !== undefined ? { dataDir: options.dataDir } : {});
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: options.port ?? 0, maxConnections: 16 });
  await server.start();
  const address = server.getServerConn();
  return {
    url: `postgres://postgres@${address}/postgres`,
    engine: 'pglite',
    close: async () => {
      await server.stop();
      await db.close();
    },
  };
}

/** The source named by SOURCE_DATABASE_URL (a real PostgreSQL), or else an embedded PGlite served over TCP. */
export async function openSourceDatabase(
  env: NodeJS.ProcessEnv = process.env,
  pglite: { dataDir?: string } = {},
): Promise<SourceDatabase> {
  const url = env.SOURCE_DATABASE_URL;
  if (url !== undefined && url !== '') return { url, engine: 'postgres', close: async () => undefined };
  return startPgliteSource(pglite);
}

/**
 * A `pg` client that returns every value in PostgreSQL's text format (no JS Date or number conversion), so values
 * reach the warehouse as the source wrote them and timestamps do not shift with the local time zone.
 */
export function textClient(url: string): pg.Client {
  const client = new pg.Client({ connectionString: url, types: { getTypeParser: () => (value: string) => value } });
  // A dropped connection also fails the pending query; without a listener it would crash the process too.
  client.on('error', () => undefined);
  return client;
}

/** Runs `fn` on one connection to the source, closed afterwards (PGlite serves one client at a time). */
export async function withSource<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = textClient(url);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
