import { field } from '../field.js';
import type { ChainState } from '../workflows/chain.js';
import { cliTable } from './render.js';

const list = (value: unknown, key: string): unknown[] => {
  const found = field(value, key);
  return Array.isArray(found) ? found : [];
};
const text = (value: unknown): string =>
  typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
    ? String(value)
    : value === null || value === undefined
      ? ''
      : JSON.stringify(value);

/**
 * The stages of a warehouse-etl run as tables, from what each handoff replied: rows extracted per table with the
 * cursor from → to; dbt's models with status, rows and seconds; the checks; the dashboard. Stages that did not
 * reply (a failed run) are left out.
 */
export function etlStageTables(state: ChainState): string[] {
  const reply = (to: string): Record<string, unknown> | undefined => state.handoffs.find((h) => h.to === to)?.output;
  const lines: string[] = [];
  const extracted = reply('extract');
  if (extracted !== undefined) {
    const table = cliTable(['extract: table', 'method', 'rows', 'in staging', 'cursor from → to']);
    for (const t of list(extracted, 'tables')) {
      const from = text(field(t, 'cursor_from'));
      const to = text(field(t, 'cursor_to'));
      table.push([
        text(field(t, 'staging_table')),
        text(field(t, 'method')),
        text(field(t, 'rows')),
        text(field(t, 'staging_rows')),
        from === '' && to === '' ? '(full refresh)' : `${from} → ${to}`,
      ]);
    }
    lines.push(table.toString());
  }
  const transformed = reply('transform');
  if (transformed !== undefined) {
    const table = cliTable(['dbt model', 'status', 'rows', 'seconds']);
    for (const m of list(transformed, 'models')) {
      table.push([
        text(field(m, 'model')),
        text(field(m, 'status')),
        text(field(m, 'rows')),
        Number(field(m, 'seconds')).toFixed(2),
      ]);
    }
    lines.push(table.toString());
    lines.push(
      `  dbt ${Number(field(transformed, 'dbt_seconds')).toFixed(2)} s (wall ${Number(field(transformed, 'wall_seconds')).toFixed(2)} s, ${text(field(transformed, 'lock_waits'))} lock waits), invocation ${text(field(transformed, 'invocation_id'))}`,
    );
  }
  const checked = reply('radar');
  if (checked !== undefined) {
    const table = cliTable(['check', 'table', 'status', 'actual']);
    for (const c of list(checked, 'checks')) {
      table.push([
        text(field(c, 'check')),
        text(field(c, 'table')),
        text(field(c, 'status')),
        text(field(c, 'actual') ?? field(c, 'reason')),
      ]);
    }
    lines.push(table.toString());
  }
  const published = reply('publish');
  if (published !== undefined) {
    lines.push(`  dashboard: ${text(field(published, 'dashboard'))} (${list(published, 'charts').length} charts)`);
  }
  return lines;
}
