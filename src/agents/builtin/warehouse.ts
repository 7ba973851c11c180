import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

/** Writers of one file in this process, in turn: DuckDB allows one open read-write instance per file. */
const queues = new Map<string, Promise<unknown>>();

/** How long to wait between tries while another process (a second worker, dbt) holds the file. */
const LOCK_RETRY_MS = { first: 20, max: 500 };

/**
 * Runs `fn` on a connection to the DuckDB warehouse file (or a built-in agent's context: its warehouse, and the
 * signal that ends the wait), opened for this use only and closed after it. DuckDB
 * lets one process at a time hold a file open for writing, so holding it for a worker's lifetime would lock out
 * every other worker on the host and dbt. In this process the uses of one file take turns; across processes
 * DuckDB's own file lock (released by the OS even if the holder dies) decides, and a use that finds it held
 * waits and tries again until `signal` aborts (the handoff's timeout or cancellation).
 */
export async function withWarehouse<T>(
  target: string | { readonly warehouse: string; readonly signal?: AbortSignal },
  fn: (conn: DuckDBConnection) => Promise<T>,
): Promise<T> {
  const { warehouse, signal } = typeof target === 'string' ? { warehouse: target, signal: undefined } : target;
  const path = resolve(warehouse);
  return takeTurn(path, () => useOnce(path, fn, signal));
}

/**
 * Runs `fn` in this process's turn for the warehouse file without opening it: for a child process that opens the
 * file itself (dbt), so it never collides with this process's own uses. Across processes DuckDB's lock decides.
 */
export async function withWarehouseTurn<T>(warehouse: string, fn: () => Promise<T>): Promise<T> {
  return takeTurn(resolve(warehouse), fn);
}

async function takeTurn<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const previous = queues.get(path) ?? Promise.resolve();
  const mine = previous.catch(() => undefined).then(fn);
  queues.set(path, mine);
  try {
    return await mine;
  } finally {
    if (queues.get(path) === mine) queues.delete(path);
  }
}

async function useOnce<T>(path: string, fn: (conn: DuckDBConnection) => Promise<T>, signal?: AbortSignal): Promise<T> {
  await mkdir(dirname(path), { recursive: true });
  const instance = await openWhenFree(path, signal);
  try {
    const conn = await instance.connect();
    try {
      return await fn(conn);
    } finally {
      conn.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

async function openWhenFree(path: string, signal?: AbortSignal): Promise<DuckDBInstance> {
  for (let wait = LOCK_RETRY_MS.first; ; wait = Math.min(wait * 2, LOCK_RETRY_MS.max)) {
    signal?.throwIfAborted();
    try {
      return await DuckDBInstance.create(path);
    } catch (err) {
      if (!isLockConflict(err)) throw err;
      // Jitter, so two waiting processes do not retry in step.
      await sleep(wait / 2 + Math.random() * wait, undefined, signal !== undefined ? { signal } : {});
    }
  }
}

/** DuckDB's message when another process holds the file: `IO Error: Could not set lock on file …`. */
export function isLockConflict(err: unknown): boolean {
  return err instanceof Error && /Could not set lock on file/i.test(err.message);
}

/** The columns of a table in the main schema, or undefined if there is no such table. */
export async function tableColumns(conn: DuckDBConnection, table: string): Promise<string[] | undefined> {
  const reader = await conn.runAndReadAll(
    `SELECT column_name FROM information_schema.columns WHERE table_name = $table ORDER BY ordinal_position`,
    { table },
  );
  const names = reader.getRowObjectsJS().map((row) => (typeof row.column_name === 'string' ? row.column_name : ''));
  return names.length > 0 ? names : undefined;
}
