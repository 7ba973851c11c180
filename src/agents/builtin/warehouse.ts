import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

/**
 * Runs `fn` on a connection to the DuckDB warehouse file. Instances are cached per file, so concurrent
 * handoffs in one worker share one database instead of fighting over its lock.
 */
export async function withWarehouse<T>(file: string, fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
  await mkdir(dirname(file), { recursive: true });
  const instance = await DuckDBInstance.fromCache(file);
  const conn = await instance.connect();
  try {
    return await fn(conn);
  } finally {
    conn.closeSync();
  }
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
