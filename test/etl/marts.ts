import { withWarehouse } from '../../src/agents/builtin/warehouse.js';

/**
 * Each mart examples/warehouse-etl.yaml builds, as one fingerprint (its row count and a hash over every row): what
 * the tests and bench:etl compare between two warehouses, or one warehouse at two moments.
 */
export const MART_FINGERPRINTS: Readonly<Record<string, string>> = {
  fct_sales: 'SELECT count(*), sum(hash(item_id, order_id, date_key, amount, status)) FROM fct_sales',
  mart_daily_revenue: 'SELECT count(*), sum(hash(period_start, value, fact_rows)) FROM mart_daily_revenue',
  mart_revenue_7d: 'SELECT count(*), sum(hash(period_start, value, fact_rows)) FROM mart_revenue_7d',
  mart_store_revenue: 'SELECT count(*), sum(hash(store_id, value, fact_rows)) FROM mart_store_revenue',
};

/** The fingerprint of each mart; a mart that is not there reads `missing (…why)`. */
export async function martFingerprints(warehouse: string): Promise<Record<string, string>> {
  return withWarehouse(warehouse, async (conn) => {
    const out: Record<string, string> = {};
    for (const [mart, sql] of Object.entries(MART_FINGERPRINTS)) {
      try {
        out[mart] = ((await conn.runAndReadAll(sql)).getRows()[0] ?? []).map((v) => String(v)).join(' ');
      } catch (err) {
        out[mart] = `missing (${err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err)})`;
      }
    }
    return out;
  });
}
