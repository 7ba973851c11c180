import { withWarehouse } from '../../src/agents/builtin/warehouse.js';

/** The partition the tests' dashboards are written for. */
export const PARTITION = '2026-10-15';
/** A product type that must be escaped wherever it is shown. */
export const HOSTILE_TYPE = `<b>"jaffle" & 'co'</b>`;

/**
 * A warehouse with the marts' shapes, made with SQL (no dbt): `fct_sales` from 2026-07-01 to 2026-11-28 with one
 * day missing (DECIMAL amounts, as a dbt model may make them), a daily and a monthly time metric, a customer
 * entity metric over 40 customers, an empty fact, and a table of no known shape.
 */
export async function buildMarts(warehouse: string): Promise<void> {
  const types = `['beverage', 'jaffle', '${HOSTILE_TYPE.replace(/'/g, "''")}']`;
  await withWarehouse(warehouse, async (conn) => {
    await conn.run(`CREATE TABLE fct_sales AS
      SELECT i AS item_id, i // 3 AS order_id, d AS date_key, CAST(d AS TIMESTAMP) + (i % 24) * INTERVAL 1 HOUR AS ordered_at,
        'cust-' || lpad(CAST((i * 7) % 40 AS VARCHAR), 2, '0') AS customer_id, 'store-' || (i % 3) AS store_id,
        'sku-' || (i % 11) AS sku, ${types}[(i % 3) + 1] AS product_type,
        CAST(((i * 37) % 101) / 4.0 + 1 AS DECIMAL(10, 2)) AS amount, 'completed' AS status
      FROM (SELECT i, CAST(DATE '2026-07-01' + (i % 151) * INTERVAL 1 DAY AS DATE) AS d FROM range(6000) AS t(i))
      WHERE d <> DATE '2026-09-10'`);
    await conn.run(`CREATE TABLE mart_daily_revenue AS
      SELECT date_trunc('day', ordered_at) AS period_start, sum(amount) AS value, count(*) AS fact_rows
      FROM fct_sales GROUP BY 1`);
    await conn.run(`CREATE TABLE mart_monthly_orders AS
      SELECT date_trunc('month', ordered_at) AS period_start, count(DISTINCT order_id) AS value, count(*) AS fact_rows
      FROM fct_sales GROUP BY 1`);
    await conn.run(`CREATE TABLE mart_customer_revenue AS
      SELECT customer_id, sum(amount) AS value, count(*) AS fact_rows FROM fct_sales GROUP BY 1`);
    await conn.run(`CREATE TABLE odd_table AS SELECT 1 AS a, 2 AS b, 3 AS c`);
    await conn.run(`CREATE TABLE empty_sales AS SELECT * FROM fct_sales WHERE false`);
  });
}

export interface Plotted {
  readonly key: string;
  readonly value: number;
}

/**
 * What each chart of a dashboard for `partition` over {@link buildMarts}' marts must plot, by its file, computed
 * with SQL of its own (not the dashboard's): the 89 days before the partition and the partition, per day and per
 * product type; the last 90 periods up to the partition's; the top 20 customers.
 */
export async function martNumbers(warehouse: string, partition: string): Promise<Record<string, Plotted[]>> {
  const queries: Record<string, string> = {
    'main.fct_sales.by-day.svg': `SELECT strftime(date_key, '%Y-%m-%d'), sum(amount) FROM fct_sales
      WHERE date_key BETWEEN DATE '${partition}' - 89 AND DATE '${partition}' GROUP BY date_key ORDER BY date_key`,
    'main.fct_sales.by-product-type.svg': `SELECT product_type, sum(amount) AS v FROM fct_sales
      WHERE date_key BETWEEN DATE '${partition}' - 89 AND DATE '${partition}' GROUP BY product_type ORDER BY v DESC, 1`,
    'main.mart_daily_revenue.svg': `SELECT * FROM (SELECT strftime(period_start, '%Y-%m-%d') AS k, value
      FROM mart_daily_revenue WHERE period_start <= DATE '${partition}' ORDER BY k DESC LIMIT 90) ORDER BY k`,
    'main.mart_monthly_orders.svg': `SELECT strftime(period_start, '%Y-%m-%d') AS k, value FROM mart_monthly_orders
      WHERE period_start <= DATE '${partition}' ORDER BY k`,
    'main.mart_customer_revenue.svg': `SELECT customer_id, value FROM mart_customer_revenue
      ORDER BY value DESC, customer_id LIMIT 20`,
  };
  return withWarehouse(warehouse, async (conn) => {
    const out: Record<string, Plotted[]> = {};
    for (const [file, sql] of Object.entries(queries)) {
      const rows = (await conn.runAndReadAll(sql)).getRows();
      out[file] = rows.map(([key, value]) => ({ key: String(key), value: Number(String(value)) }));
    }
    return out;
  });
}

export interface PageTable {
  readonly mart: string;
  readonly file: string;
  readonly total: number;
  readonly rows: readonly { key: string; value: number; highlight: boolean }[];
}

const decode = (text: string): string =>
  text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');

/** The chart sections of a dashboard page as the page's data attributes give them. */
export function dashboardTables(html: string): PageTable[] {
  return [...html.matchAll(/<section class="chart" ([^>]*)>([\s\S]*?)<\/section>/g)].map(([, attributes, body]) => {
    const attr = (name: string): string =>
      decode(new RegExp(`data-${name}="([^"]*)"`).exec(attributes ?? '')?.[1] ?? '');
    const rows = [...(body ?? '').matchAll(/<tr data-key="([^"]*)" data-value="([^"]*)"([^>]*)>/g)].map(
      ([, key, value, rest]) => ({
        key: decode(key ?? ''),
        value: Number(value),
        highlight: (rest ?? '').includes('data-highlight="true"'),
      }),
    );
    return { mart: attr('mart'), file: attr('file'), total: Number(attr('total')), rows };
  });
}
