import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { Metric } from '../contracts/pulse-to-stream.js';

/** Columns of the sales facts (`int_sales`, stored by day as `fct_sales`) a metric may aggregate or be grained by. */
const FACT_COLUMNS = ['item_id', 'order_id', 'customer_id', 'store_id', 'sku', 'product_type', 'status', 'amount'];
const TIME_GRAINS = ['hour', 'day', 'week', 'month', 'quarter', 'year'];
/** Entity grains and the fact column that identifies the entity. */
const ENTITY_GRAINS: Readonly<Record<string, string>> = {
  customer: 'customer_id',
  store: 'store_id',
  product: 'sku',
  sku: 'sku',
  product_type: 'product_type',
};
const AGGREGATION = /^(sum|count|avg|min|max)\(\s*(distinct\s+)?([a-z_]+|\*)\s*\)$/i;
const WINDOW_DAYS = /^(\d+)\s*(d|days?)$/i;

const rejectMetric = (metric: Metric, why: string): ApplicationFailure =>
  ApplicationFailure.nonRetryable(`metric ${metric.name}: ${why}`, 'AgentRejected');

/** The aggregation as SQL over fct_sales; default `sum(amount)` (the base fact is sales). */
function aggregationSql(metric: Metric): string {
  const text = (metric.aggregation ?? 'sum(amount)').trim();
  const match = AGGREGATION.exec(text);
  const column = match?.[3];
  if (match === null || column === undefined) {
    throw rejectMetric(metric, `aggregation "${text}" is not fn(column) with fn sum|count|avg|min|max`);
  }
  if (column !== '*' && !FACT_COLUMNS.includes(column.toLowerCase())) {
    throw rejectMetric(metric, `fct_sales has no column "${column}" (has ${FACT_COLUMNS.join(', ')})`);
  }
  const fn = (match[1] ?? 'sum').toLowerCase();
  const distinct = match[2] !== undefined ? 'distinct ' : '';
  return `${fn}(${distinct}${column === '*' ? '*' : `f.${column.toLowerCase()}`})`;
}

/**
 * The dbt model for one of Pulse's metrics, over the sales facts (`int_sales`). A time grain gives one row per period
 * (`period_start`), built incrementally: a run for a partition recomputes the period that holds that day. A window
 * of N days (`7d`) makes each period's value cover the N days ending with the period. An entity grain (customer,
 * store, product) gives one row per entity over all time (`lifetime`), rebuilt whole on every run.
 */
export function metricMartSql(metric: Metric): string {
  const agg = aggregationSql(metric);
  const grain = metric.grain.toLowerCase();
  const header = `-- Generated from Pulse's metric ${metric.name} (grain ${metric.grain}, aggregation ${
    metric.aggregation ?? 'sum(amount)'
  }, window ${metric.window ?? 'none'}). Do not edit: regenerated on every run.\n`;
  const entity = ENTITY_GRAINS[grain];
  if (entity !== undefined) {
    if (metric.window !== undefined && metric.window !== 'lifetime') {
      throw rejectMetric(metric, `an entity grain takes window "lifetime" or none, got "${metric.window}"`);
    }
    return `${header}{{ config(materialized='table') }}

select f.${entity}, ${agg} as value, count(*) as fact_rows
from {{ ref('int_sales') }} as f
group by f.${entity}
`;
  }
  if (!TIME_GRAINS.includes(grain)) {
    throw rejectMetric(
      metric,
      `grain "${metric.grain}" is neither a time grain (${TIME_GRAINS.join(', ')}) nor an entity (${Object.keys(ENTITY_GRAINS).join(', ')})`,
    );
  }
  const windowMatch = metric.window !== undefined ? WINDOW_DAYS.exec(metric.window.trim()) : null;
  if (metric.window !== undefined && windowMatch === null) {
    throw rejectMetric(metric, `window "${metric.window}" is not N days (e.g. 7d)`);
  }
  const days = windowMatch !== null ? Number(windowMatch[1]) : undefined;
  // A period is rebuilt when a day the run rebuilds (partition_days) falls in what its value covers.
  const coveredFrom = days === undefined ? 'p.period_start' : `p.period_end - interval ${days} day`;
  const partitionFilter = `{% if var('partition') is not none %}
where exists (
  select 1 from {{ partition_days() }} as d
  where cast(d.day as timestamp) >= ${coveredFrom} and cast(d.day as timestamp) < p.period_end
)
{% endif %}`;
  const periods = `select distinct date_trunc('${grain}', ordered_at) as period_start,
    date_trunc('${grain}', ordered_at) + interval 1 ${grain} as period_end
  from {{ ref('int_sales') }}`;
  const covers =
    days === undefined
      ? `f.ordered_at >= p.period_start and f.ordered_at < p.period_end`
      : `f.ordered_at >= p.period_end - interval ${days} day and f.ordered_at < p.period_end`;
  return `${header}{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='period_start') }}

with periods as (
  ${periods}
)
select p.period_start, ${agg} as value, count(*) as fact_rows
from periods as p
join {{ ref('int_sales') }} as f on ${covers}
${partitionFilter}
group by p.period_start
`;
}

/**
 * Writes one dbt model per metric into `<project>/models/metrics/`, rewriting a file only when its text changes.
 * The transform stage does this in a copy of the project made for the run (`runDbt` with `metrics`). Returns the
 * model names.
 */
export async function writeMetricMarts(metrics: readonly Metric[], projectDir: string): Promise<string[]> {
  const dir = join(projectDir, 'models', 'metrics');
  await mkdir(dir, { recursive: true });
  const names: string[] = [];
  for (const metric of metrics) {
    const name = `mart_${metric.name.toLowerCase()}`;
    const file = join(dir, `${name}.sql`);
    const sql = metricMartSql(metric);
    const current = await readFile(file, 'utf8').catch(() => undefined);
    if (current !== sql) await writeFile(file, sql);
    names.push(name);
  }
  return names;
}
