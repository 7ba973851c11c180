import { access } from 'node:fs/promises';
import { stringify } from 'yaml';
import type { CheckResult, ScenarioPlan } from '../../contracts/radar-output.js';
import { StreamToRadar } from '../../contracts/stream-to-radar.js';
import { checkStage } from '../../etl/stages.js';
import { reject, unsupported } from './reject.js';
import type { BuiltinAgent } from './types.js';
import { tableColumns, withWarehouse } from './warehouse.js';

const ID = '[A-Za-z_][A-Za-z0-9_]*';

/** The check forms Radar understands, as written in test requirements. */
export const CHECK_FORMS = [
  'row_count <op> <n>      (op: > >= < <= = !=)',
  'no_nulls: <column>[, <column>...]',
  'unique: <column>',
  'accepted_values: <column> in (<value>, ...)',
] as const;

/**
 * One check as a SQL query over `table` returning `actual` (the measured number) and `passed`. Undefined
 * for a check Radar does not understand.
 */
export function checkSql(check: string, table: string): string | undefined {
  const text = check.trim();
  const rowCount = /^row_count\s*(>=|<=|==|!=|=|>|<)\s*(\d+)$/.exec(text);
  if (rowCount) {
    const op = rowCount[1] === '==' ? '=' : rowCount[1];
    return `SELECT count(*) AS actual, count(*) ${op} ${rowCount[2]} AS passed FROM ${table}`;
  }
  const noNulls = new RegExp(`^no_nulls:\\s*(${ID}(?:\\s*,\\s*${ID})*)$`).exec(text);
  if (noNulls?.[1] !== undefined) {
    const where = noNulls[1]
      .split(',')
      .map((c) => `${c.trim()} IS NULL`)
      .join(' OR ');
    return `SELECT count(*) AS actual, count(*) = 0 AS passed FROM ${table} WHERE ${where}`;
  }
  const unique = new RegExp(`^unique:\\s*(${ID})$`).exec(text);
  if (unique?.[1] !== undefined) {
    const c = unique[1];
    return `SELECT count(${c}) - count(DISTINCT ${c}) AS actual, count(${c}) = count(DISTINCT ${c}) AS passed FROM ${table}`;
  }
  const accepted = new RegExp(`^accepted_values:\\s*(${ID})\\s+in\\s+\\((.+)\\)$`, 'i').exec(text);
  if (accepted?.[1] !== undefined && accepted[2] !== undefined) {
    const values = accepted[2]
      .split(',')
      .map(
        (v) =>
          `'${v
            .trim()
            .replace(/^['"]|['"]$/g, '')
            .replace(/'/g, "''")}'`,
      )
      .join(', ');
    return `SELECT count(*) AS actual, count(*) = 0 AS passed FROM ${table} WHERE ${accepted[1]} NOT IN (${values})`;
  }
  return undefined;
}

const SCENARIOS: Readonly<Record<string, readonly string[]>> = {
  end_to_end_flow: [
    'load one fixture partition into every source',
    'run the pipeline for that partition',
    'run every data_quality check against the sinks',
    'compare sink row counts with the fixture row counts',
  ],
  backfill_replay: [
    'run the pipeline for three consecutive partitions',
    'replay the middle partition from its first handoff',
    'check the replayed partition has the same rows as before (no duplicates, no gaps)',
    'check the neighbouring partitions are untouched',
  ],
};

function scenarioPlan(name: string): ScenarioPlan {
  return {
    name,
    steps: [
      ...(SCENARIOS[name] ?? [
        `prepare fixtures for ${name}`,
        `run the pipeline through ${name}`,
        `assert the outcome of ${name}`,
      ]),
    ],
  };
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/**
 * The built-in Radar: every check becomes a SQL assertion (checks.sql). Where the warehouse has the table,
 * Radar runs it and reports it passed or failed with the measured value; otherwise it reports the check as skipped
 * and why. Integration scenarios become step-by-step plans. A check it does not understand is a rejection.
 */
export const radar: BuiltinAgent = async (envelope, ctx) => {
  if (envelope.input_contract === 'transform-output' && envelope.reply_contract === 'check-output') {
    return checkStage(envelope, ctx);
  }
  if (envelope.input_contract !== 'stream-to-radar' || envelope.reply_contract !== 'radar-output') {
    throw unsupported('radar', envelope.input_contract, envelope.reply_contract);
  }
  const input = StreamToRadar.parse(envelope.payload);
  const planned: { check: string; table?: string; sql?: string }[] = [];
  input.test_requirements.forEach((group, g) => {
    (group.checks ?? []).forEach((check, c) => {
      const table = group.table;
      if (table === undefined) return planned.push({ check });
      const sql = checkSql(check, table);
      if (sql === undefined) {
        throw reject(
          'radar',
          `test_requirements[${g}].checks[${c}]: unknown check "${check}"; known forms: ${CHECK_FORMS.join('; ')}`,
        );
      }
      return planned.push({ check, table, sql });
    });
  });
  const haveWarehouse = await exists(ctx.warehouse);
  const checks: CheckResult[] = haveWarehouse
    ? await withWarehouse(ctx, async (conn) => {
        const out: CheckResult[] = [];
        for (const p of planned) {
          if (p.table === undefined || p.sql === undefined) {
            out.push({
              check: p.check,
              sql: '-- no table',
              status: 'skipped',
              reason: 'the test requirement names no table',
            });
          } else if ((await tableColumns(conn, p.table)) === undefined) {
            out.push({
              check: p.check,
              table: p.table,
              sql: p.sql,
              status: 'skipped',
              reason: `table ${p.table} is not in the warehouse`,
            });
          } else {
            try {
              const [row] = (await conn.runAndReadAll(p.sql)).getRowObjectsJS();
              const actual = Number(row?.actual ?? 0);
              out.push({
                check: p.check,
                table: p.table,
                sql: p.sql,
                status: row?.passed === true ? 'passed' : 'failed',
                actual,
              });
            } catch (err) {
              const reason = err instanceof Error ? (err.message.split('\n')[0] ?? err.message) : String(err);
              out.push({ check: p.check, table: p.table, sql: p.sql, status: 'failed', reason });
            }
          }
        }
        return out;
      })
    : planned.map((p) => ({
        check: p.check,
        ...(p.table !== undefined ? { table: p.table } : {}),
        sql: p.sql ?? '-- no table',
        status: 'skipped' as const,
        reason: `no warehouse at ${ctx.warehouse}`,
      }));
  const scenarios = input.test_requirements.flatMap((g) => (g.scenarios ?? []).map(scenarioPlan));
  const count = (status: CheckResult['status']): number => checks.filter((c) => c.status === status).length;
  const sqlFile = checks
    .map((c) => `-- ${c.check}${c.table !== undefined ? ` on ${c.table}` : ''}\n${c.sql};\n`)
    .join('\n');
  return {
    checks,
    scenarios,
    summary: { passed: count('passed'), failed: count('failed'), skipped: count('skipped') },
    artifacts: [
      { name: 'checks.sql', content: sqlFile },
      { name: 'scenarios.yaml', content: stringify({ scenarios }) },
    ],
  };
};
