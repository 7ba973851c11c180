import { tableColumns, withWarehouse } from '../agents/builtin/warehouse.js';
import { CHECK_FORMS, checkSql } from '../agents/builtin/radar.js';
import type { CheckResult } from '../contracts/radar-output.js';
import type { CheckOutput, EtlPlan } from './contracts.js';
import { PlanError } from './plan.js';

/**
 * Radar's checks on the partition's marts: each data-quality check of the plan as SQL over its table — the
 * partition's rows (`date_key` = the day) when the table has a `date_key`, else the whole table. A check on a table
 * the pipeline did not build fails (the pipeline should have built it). The chain fails the partition as
 * `DataQualityFailed` when any check failed; this only measures.
 */
export async function runPartitionChecks(
  plan: EtlPlan,
  options: { readonly warehouse: string; readonly signal?: AbortSignal },
): Promise<CheckOutput> {
  const planned = plan.checks.flatMap((group, g) =>
    (group.checks ?? []).map((text, c) => {
      if (group.table === undefined)
        throw new PlanError(`plan.checks[${g}].table`, 'expected the table the checks run on');
      if (checkSql(text, 't') === undefined) {
        throw new PlanError(
          `plan.checks[${g}].checks[${c}]`,
          `unknown check "${text}"; known forms: ${CHECK_FORMS.join('; ')}`,
        );
      }
      return { check: text, table: group.table };
    }),
  );
  const checks = await withWarehouse(options, async (conn) => {
    const out: CheckResult[] = [];
    for (const p of planned) {
      const columns = await tableColumns(conn, p.table);
      if (columns === undefined) {
        out.push({
          check: p.check,
          table: p.table,
          sql: checkSql(p.check, p.table) ?? '',
          status: 'failed',
          reason: `table ${p.table} is not in the warehouse: no stage built it`,
        });
        continue;
      }
      const byDay = plan.partition !== null && columns.includes('date_key');
      const source = byDay
        ? `(SELECT * FROM ${p.table} WHERE date_key = DATE '${plan.partition}') AS ${p.table}`
        : p.table;
      const sql = checkSql(p.check, source) ?? '';
      try {
        const [row] = (await conn.runAndReadAll(sql)).getRowObjectsJS();
        out.push({
          check: p.check,
          table: p.table,
          sql,
          status: row?.passed === true ? 'passed' : 'failed',
          actual: Number(row?.actual ?? 0),
        });
      } catch (err) {
        const reason = err instanceof Error ? (err.message.split('\n')[0] ?? err.message) : String(err);
        out.push({ check: p.check, table: p.table, sql, status: 'failed', reason });
      }
    }
    return out;
  });
  const count = (status: CheckResult['status']): number => checks.filter((c) => c.status === status).length;
  return { plan, checks, summary: { passed: count('passed'), failed: count('failed'), skipped: count('skipped') } };
}
