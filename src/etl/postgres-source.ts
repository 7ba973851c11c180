import type pg from 'pg';
import type { SourceBatch, SourceColumn } from './staging.js';

/** PostgreSQL type OIDs and the DuckDB type their text form is cast to; anything else stays VARCHAR. */
const DUCKDB_TYPE: Readonly<Record<number, string>> = {
  16: 'BOOLEAN',
  20: 'BIGINT',
  21: 'SMALLINT',
  23: 'INTEGER',
  700: 'REAL',
  701: 'DOUBLE',
  1700: 'DECIMAL(38, 9)',
  1082: 'DATE',
  1083: 'TIME',
  1114: 'TIMESTAMP',
  1184: 'TIMESTAMPTZ',
  2950: 'UUID',
};

/**
 * Builder's extraction SQL with its named parameters (`$cursor`, `$high_watermark`) turned into positional ones,
 * numbered in order of first use so a query that uses only one of them is still valid.
 */
export function bindExtractionSql(
  sql: string,
  params: Readonly<Record<string, string | null>>,
): { text: string; values: (string | null)[] } {
  const order: string[] = [];
  const text = sql.replace(/\$([A-Za-z_][A-Za-z0-9_]*)/g, (match, name: string) => {
    if (!(name in params)) throw new Error(`extraction SQL names $${name}; known: ${Object.keys(params).join(', ')}`);
    if (!order.includes(name)) order.push(name);
    return `$${order.indexOf(name) + 1}`;
  });
  return { text, values: order.map((name) => params[name] ?? null) };
}

/**
 * Runs one connector's extraction SQL on the source and returns the rows as text. The client must return text
 * (see `textClient`), so values reach the warehouse exactly as PostgreSQL prints them.
 */
export async function readPostgres(
  client: pg.Client,
  sql: string,
  params: Readonly<Record<string, string | null>>,
): Promise<SourceBatch> {
  const { text, values } = bindExtractionSql(sql, params);
  const result = await client.query<(string | null)[]>({ text, values, rowMode: 'array' });
  const columns: SourceColumn[] = result.fields.map((f) => ({
    name: f.name,
    type: DUCKDB_TYPE[f.dataTypeID] ?? 'VARCHAR',
  }));
  return { columns, rows: result.rows };
}
