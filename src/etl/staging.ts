import type { DuckDBConnection } from '@duckdb/node-api';
import type { ExtractionMethod } from '../contracts/stream-to-builder.js';

/** The schema the extract loads into; dbt's staging models read from it. */
export const STAGING_SCHEMA = 'staging';
/** One row per staging table: the cursor its rows cover, advanced in the same transaction as the rows. */
export const CURSORS_TABLE = `${STAGING_SCHEMA}._stream_cursors`;

/** A column read from a source: its name and the DuckDB type its text values are cast to. */
export interface SourceColumn {
  readonly name: string;
  readonly type: string;
}

/** One connector's read: columns, rows as text (PostgreSQL's text format or JSON scalars), nothing typed in JS. */
export interface SourceBatch {
  readonly columns: readonly SourceColumn[];
  readonly rows: readonly (readonly (string | null)[])[];
}

/** How a batch is merged: where, by which key, and which cursor it must find to be allowed to advance it. */
export interface MergePlan {
  readonly stagingTable: string;
  readonly method: ExtractionMethod;
  readonly primaryKey: readonly string[];
  readonly cursorField: string | undefined;
  /** The cursor stored when the run read it (null before the first run): the write happens only if it still is. */
  readonly expectedCursor: string | null;
  /** The cursor the rows were read from (the stored one, or the spec's initial cursor); kept if no row came. */
  readonly cursorFrom: string | null;
  /** Called inside the transaction after the rows are written and before COMMIT (tests simulate a crash here). */
  readonly beforeCommit?: () => void | Promise<void>;
}

export interface MergeOutcome {
  readonly rows: number;
  readonly stagingRows: number;
  readonly cursorTo: string | null;
}

/** Raised when another run advanced the cursor between this run's read and its write: retry from the new one. */
export class CursorMoved extends Error {
  constructor(
    readonly stagingTable: string,
    readonly expected: string | null,
    readonly found: string | null,
  ) {
    super(`cursor of ${stagingTable} moved from ${String(expected)} to ${String(found)} during the run; retry`);
    this.name = 'CursorMoved';
  }
}

const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`;

async function ensureCursorTable(conn: DuckDBConnection): Promise<void> {
  await conn.run(`CREATE SCHEMA IF NOT EXISTS ${STAGING_SCHEMA}`);
  await conn.run(
    `CREATE TABLE IF NOT EXISTS ${CURSORS_TABLE} (
       stream VARCHAR NOT NULL, cursor_field VARCHAR, cursor VARCHAR, method VARCHAR NOT NULL,
       rows_last_run BIGINT NOT NULL, committed_at TIMESTAMPTZ NOT NULL)`,
  );
}

/** The cursor stored for a staging table, or null before its first run. */
export async function readCursor(conn: DuckDBConnection, stagingTable: string): Promise<string | null> {
  await ensureCursorTable(conn);
  const reader = await conn.runAndReadAll(`SELECT cursor FROM ${CURSORS_TABLE} WHERE stream = $stream`, {
    stream: stagingTable,
  });
  const value = reader.getRows()[0]?.[0];
  return typeof value === 'string' ? value : null;
}

/**
 * Merges a batch into its staging table and advances the table's cursor, in ONE DuckDB transaction: either both
 * happen or neither. Incremental: rows whose primary key is in the batch are replaced (the newest copy in the batch
 * by cursor wins), others kept. Full: the table's rows are replaced by the batch. New source columns are added.
 * The cursor becomes the largest cursor value in the batch (unchanged if the batch is empty); if the stored cursor
 * is no longer `expectedCursor`, another run got there first and nothing is written (`CursorMoved`).
 */
export async function mergeBatch(conn: DuckDBConnection, batch: SourceBatch, plan: MergePlan): Promise<MergeOutcome> {
  await ensureCursorTable(conn);
  const table = `${STAGING_SCHEMA}.${quote(plan.stagingTable)}`;
  const names = batch.columns.map((c) => quote(c.name));
  for (const key of [...plan.primaryKey, ...(plan.cursorField !== undefined ? [plan.cursorField] : [])]) {
    if (!batch.columns.some((c) => c.name === key)) {
      throw new Error(`${plan.stagingTable}: the source rows have no column "${key}"`);
    }
  }
  await conn.run('BEGIN TRANSACTION');
  try {
    const stored = await readCursor(conn, plan.stagingTable);
    if (stored !== plan.expectedCursor) throw new CursorMoved(plan.stagingTable, plan.expectedCursor, stored);

    if (batch.columns.length === 0) {
      // An API page set with no records says nothing about columns: a full refresh empties an existing table.
      const exists = await conn.runAndReadAll(
        `SELECT count(*) FROM information_schema.tables WHERE table_schema = $schema AND table_name = $table`,
        { schema: STAGING_SCHEMA, table: plan.stagingTable },
      );
      const tableExists = Number(exists.getRows()[0]?.[0] ?? 0) > 0;
      if (plan.method === 'full' && tableExists) await conn.run(`DELETE FROM ${table}`);
      const left = tableExists
        ? Number((await conn.runAndReadAll(`SELECT count(*) FROM ${table}`)).getRows()[0]?.[0])
        : 0;
      await writeCursor(conn, plan, plan.cursorFrom, 0);
      await plan.beforeCommit?.();
      await conn.run('COMMIT');
      return { rows: 0, stagingRows: left, cursorTo: plan.cursorFrom };
    }
    await conn.run(
      `CREATE OR REPLACE TEMP TABLE _batch (${batch.columns.map((c) => `${quote(c.name)} VARCHAR`).join(', ')})`,
    );
    const appender = await conn.createAppender('_batch', 'main', 'temp');
    for (const row of batch.rows) {
      for (const value of row) {
        if (value === null) appender.appendNull();
        else appender.appendVarchar(value);
      }
      appender.endRow();
    }
    appender.closeSync();

    const typed = batch.columns.map((c) => `CAST(${quote(c.name)} AS ${c.type}) AS ${quote(c.name)}`).join(', ');
    const order = plan.cursorField !== undefined ? `${quote(plan.cursorField)} DESC` : '1';
    const keys = plan.primaryKey.map(quote).join(', ');
    await conn.run(
      `CREATE OR REPLACE TEMP TABLE _typed AS
       SELECT * FROM (SELECT ${typed} FROM _batch)
       QUALIFY row_number() OVER (PARTITION BY ${keys} ORDER BY ${order}) = 1`,
    );
    await conn.run(
      `CREATE TABLE IF NOT EXISTS ${table} (${batch.columns.map((c) => `${quote(c.name)} ${c.type}`).join(', ')})`,
    );
    const existing = await conn.runAndReadAll(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = $schema AND table_name = $table`,
      { schema: STAGING_SCHEMA, table: plan.stagingTable },
    );
    const have = new Set(existing.getRows().map((r) => String(r[0])));
    for (const c of batch.columns) {
      if (!have.has(c.name)) await conn.run(`ALTER TABLE ${table} ADD COLUMN ${quote(c.name)} ${c.type}`);
    }
    if (plan.method === 'incremental') {
      const match = plan.primaryKey.map((k) => `${table}.${quote(k)} = _typed.${quote(k)}`).join(' AND ');
      await conn.run(`DELETE FROM ${table} USING _typed WHERE ${match}`);
    } else {
      await conn.run(`DELETE FROM ${table}`);
    }
    await conn.run(`INSERT INTO ${table} (${names.join(', ')}) SELECT ${names.join(', ')} FROM _typed`);

    const counts = await conn.runAndReadAll(
      `SELECT (SELECT count(*) FROM _typed), (SELECT count(*) FROM ${table}),
              ${plan.cursorField !== undefined ? `(SELECT CAST(max(${quote(plan.cursorField)}) AS VARCHAR) FROM _typed)` : 'NULL'}`,
    );
    const [rows, stagingRows, maxCursor] = counts.getRows()[0] ?? [];
    const cursorTo = typeof maxCursor === 'string' ? maxCursor : plan.cursorFrom;
    await writeCursor(conn, plan, cursorTo, Number(rows));
    await plan.beforeCommit?.();
    await conn.run('COMMIT');
    await conn.run('DROP TABLE IF EXISTS _batch');
    await conn.run('DROP TABLE IF EXISTS _typed');
    return { rows: Number(rows), stagingRows: Number(stagingRows), cursorTo };
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

async function writeCursor(
  conn: DuckDBConnection,
  plan: MergePlan,
  cursor: string | null,
  rows: number,
): Promise<void> {
  await conn.run(`DELETE FROM ${CURSORS_TABLE} WHERE stream = $stream`, { stream: plan.stagingTable });
  await conn.run(`INSERT INTO ${CURSORS_TABLE} VALUES ($stream, $field, $cursor, $method, $rows, now())`, {
    stream: plan.stagingTable,
    field: plan.cursorField ?? null,
    cursor,
    method: plan.method,
    rows,
  });
}
