import type { TableSpec } from '../../contracts/schema-output.js';
import { StreamToSchema, type MartRequirement } from '../../contracts/stream-to-schema.js';
import { reject, unsupported } from './reject.js';
import type { BuiltinAgent } from './types.js';
import { tableColumns, withWarehouse } from './warehouse.js';

/**
 * The type of a mart column, from its name: `date_key`, `week_key`, `month_key`, `quarter_key`, `year_key`
 * are DATE, `hour_key` TIMESTAMP, other `*_key` VARCHAR; `*_count` BIGINT; `total_*`, `*_revenue`,
 * `*_amount`, `*_ltv` DECIMAL(18,2); `avg_*`, `min_*`, `max_*` DOUBLE; anything else VARCHAR.
 */
export function columnType(column: string): string {
  if (['date_key', 'week_key', 'month_key', 'quarter_key', 'year_key'].includes(column)) return 'DATE';
  if (column === 'hour_key') return 'TIMESTAMP';
  if (column.endsWith('_key')) return 'VARCHAR';
  if (column.endsWith('_count')) return 'BIGINT';
  if (/^total_|_(revenue|amount|ltv)$/.test(column)) return 'DECIMAL(18,2)';
  if (/^(avg|min|max)_/.test(column)) return 'DOUBLE';
  return 'VARCHAR';
}

/** DuckDB DDL for one mart. DuckDB has no table partitioning; the partitioning column is sorted on instead. */
export function martDdl(mart: MartRequirement): string {
  const columns = mart.columns.map((c) => `  ${c} ${columnType(c)}${c.endsWith('_key') ? ' NOT NULL' : ''}`);
  const note = mart.partitioning !== undefined ? `-- partitioned by ${mart.partitioning}\n` : '';
  return `${note}CREATE TABLE IF NOT EXISTS ${mart.name} (\n${columns.join(',\n')}\n);`;
}

/**
 * The built-in Schema: DDL per mart requirement, executed in the DuckDB warehouse. A table that already
 * exists with other columns is a rejection (schema drift), never silently altered.
 */
export const schema: BuiltinAgent = async (envelope, ctx) => {
  if (envelope.input_contract !== 'stream-to-schema' || envelope.reply_contract !== 'schema-output') {
    throw unsupported('schema', envelope.input_contract, envelope.reply_contract);
  }
  const input = StreamToSchema.parse(envelope.payload);
  const tables = await withWarehouse(ctx, async (conn) => {
    const out: TableSpec[] = [];
    for (const mart of input.mart_requirements) {
      const existing = await tableColumns(conn, mart.name);
      if (existing !== undefined && existing.join(',') !== mart.columns.join(',')) {
        throw reject(
          'schema',
          `table ${mart.name} already exists with columns (${existing.join(', ')}), the mart needs (${mart.columns.join(', ')})`,
        );
      }
      const ddl = martDdl(mart);
      await conn.run(ddl);
      out.push({
        name: mart.name,
        ddl,
        columns: mart.columns.map((name) => ({ name, type: columnType(name) })),
        ...(mart.partitioning !== undefined ? { partitioning: mart.partitioning } : {}),
        created: true,
      });
    }
    return out;
  });
  return {
    tables,
    warehouse: ctx.warehouse,
    artifacts: [{ name: 'marts.sql', content: `${tables.map((t) => t.ddl).join('\n\n')}\n` }],
  };
};
