import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { join, resolve } from 'node:path';
import { startPgliteSource } from '../etl/source.js';
import { openEventDb, type EventDb, type EventStoreEngine } from './db.js';
import { migrate } from './projections.js';

/** Where an embedded store's worker writes its URL, for the CLI and scripts on the same host to find it. */
export function eventStoreUrlFile(outDir: string): string {
  return join(resolve(outDir), 'event-store.url');
}

/** An open event store and how to let it go (stopping the embedded server when it is ours). */
export interface OpenEventStore {
  readonly db: EventDb;
  close(): Promise<void>;
}

/**
 * The worker's event store: the PostgreSQL server named by EVENT_STORE_URL, or else PGlite in this process, kept in
 * `<OUT_DIR>/event-store/` and served over the wire protocol on 127.0.0.1 (EVENT_STORE_PORT, default a free port),
 * its URL written to `<OUT_DIR>/event-store.url`. Both go through the same `pg` code path; the schema is created
 * (or found) here.
 */
export async function openWorkerEventStore(env: NodeJS.ProcessEnv, outDir: string): Promise<OpenEventStore> {
  const url = env.EVENT_STORE_URL;
  if (url !== undefined && url !== '') {
    const db = openEventDb(url, engineFromEnv(env));
    await migrate(db);
    return { db, close: () => db.close() };
  }
  const dataDir = join(resolve(outDir), 'event-store');
  await mkdir(dataDir, { recursive: true });
  // PGlite is one process's database: the first worker on this OUT_DIR serves it, later ones are its clients.
  const served = await claimEmbeddedStore(outDir);
  if (served !== undefined) {
    const db = openEventDb(served, 'pglite');
    return { db, close: () => db.close() };
  }
  // Ours now: a URL left by a worker that died is not to be handed out while this one starts.
  await rm(eventStoreUrlFile(outDir), { force: true });
  const port = env.EVENT_STORE_PORT !== undefined && env.EVENT_STORE_PORT !== '' ? Number(env.EVENT_STORE_PORT) : 0;
  const server = await startPgliteSource({ dataDir, port });
  const db = openEventDb(server.url, 'pglite');
  await migrate(db);
  const file = eventStoreUrlFile(outDir);
  await writeFile(file, `${server.url}\n`);
  return {
    db,
    close: async () => {
      await db.close();
      await server.close();
      await rm(file, { force: true });
      await rm(lockFile(outDir), { force: true });
    },
  };
}

function lockFile(outDir: string): string {
  return join(resolve(outDir), 'event-store.lock');
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Takes the embedded store for this process (undefined: start it), or, when a live worker on this OUT_DIR already
 * serves it, waits for its URL and returns that. A lock left by a dead worker is taken over. Several workers then
 * share one PGlite, each running its own transactions one at a time; for real concurrency set EVENT_STORE_URL.
 */
async function claimEmbeddedStore(outDir: string): Promise<string | undefined> {
  const lock = lockFile(outDir);
  for (let tries = 0; tries < 600; tries++) {
    try {
      const handle = await open(lock, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
    if (owner === process.pid) return undefined;
    if (!alive(owner)) {
      // Written but not yet filled (a worker between open and write) reads as no owner: give it a moment first.
      await sleep(100);
      const again = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
      if (!alive(again)) await rm(lock, { force: true });
      continue;
    }
    const url = (await readFile(eventStoreUrlFile(outDir), 'utf8').catch(() => '')).trim();
    if (url !== '') return url;
    await sleep(100);
  }
  throw new Error(`the embedded event store in ${resolve(outDir)} did not come up; set EVENT_STORE_URL`);
}

/**
 * EVENT_STORE_ENGINE=pglite says EVENT_STORE_URL is a PGlite served by another process (pglite-socket): its
 * transactions are then run one at a time, as PGlite needs. Default `postgres`.
 */
function engineFromEnv(env: NodeJS.ProcessEnv): EventStoreEngine {
  return env.EVENT_STORE_ENGINE === 'pglite' ? 'pglite' : 'postgres';
}

/**
 * The event store a CLI command reads: EVENT_STORE_URL, or the embedded store a worker on this host serves
 * (`<OUT_DIR>/event-store.url`). Undefined when there is neither.
 */
export async function eventStoreForCli(env: NodeJS.ProcessEnv = process.env): Promise<EventDb | undefined> {
  const url = env.EVENT_STORE_URL;
  if (url !== undefined && url !== '') return openEventDb(url, engineFromEnv(env), 2);
  try {
    const served = (await readFile(eventStoreUrlFile(env.OUT_DIR ?? 'out'), 'utf8')).trim();
    return served === '' ? undefined : openEventDb(served, 'pglite');
  } catch {
    return undefined;
  }
}
