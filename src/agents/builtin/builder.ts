import type { ConnectorSpec } from '../../contracts/builder-output.js';
import { StreamToBuilder } from '../../contracts/stream-to-builder.js';
import { reject, unsupported } from './reject.js';
import type { BuiltinAgent } from './types.js';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;

/** The cursor a new incremental connector starts from: everything. */
export const INITIAL_CURSOR = '1970-01-01T00:00:00Z';

/**
 * The built-in Builder: one connector spec per requirement, with the extraction SQL. Incremental SQL reads
 * the window `($cursor, $high_watermark]` on the cursor column in cursor order, so a run that fails between
 * two windows resumes without gaps or duplicates; `full` reads everything; `cdc` reads an initial snapshot
 * and names the change topic. The table is the requirement's `table` field, or the API name without `_api`.
 */
export const builder: BuiltinAgent = async (envelope) => {
  if (envelope.input_contract !== 'stream-to-builder' || envelope.reply_contract !== 'builder-output') {
    throw unsupported('builder', envelope.input_contract, envelope.reply_contract);
  }
  const input = StreamToBuilder.parse(envelope.payload);
  const connectors = input.connector_requirements.map((req, i): ConnectorSpec & Record<string, unknown> => {
    const table = typeof req.table === 'string' ? req.table : req.api.replace(/_api$/, '');
    if (!IDENTIFIER.test(table)) {
      throw reject('builder', `connector_requirements[${i}]: cannot derive a table name from api "${req.api}"`);
    }
    const name = `${table.replace('.', '_')}_connector`;
    const keyed = req.primary_key !== undefined ? { primary_key: req.primary_key } : {};
    if (req.method === 'incremental') {
      const key = req.key ?? 'updated_at';
      return {
        name,
        api: req.api,
        table,
        method: 'incremental',
        cursor: { field: key, initial: INITIAL_CURSOR },
        extraction_sql: `SELECT * FROM ${table} WHERE ${key} > $cursor AND ${key} <= $high_watermark ORDER BY ${key}`,
        ...keyed,
      };
    }
    if (req.method === 'full') {
      return { name, api: req.api, table, method: 'full', extraction_sql: `SELECT * FROM ${table}`, ...keyed };
    }
    return {
      name,
      api: req.api,
      table,
      method: 'cdc',
      extraction_sql: `SELECT * FROM ${table}`,
      change_topic: `cdc.${table}`,
      ...keyed,
    };
  });
  const sql = connectors.map((c) => `-- ${c.name} (${c.method})\n${c.extraction_sql};\n`).join('\n');
  return { connectors, artifacts: [{ name: 'extract.sql', content: sql }] };
};
