import { FLOWS } from '../flows.js';
import { runChain, type ChainInput, type ChainResult } from './chain.js';

/**
 * The Data Warehouse ETL pipeline, flow `warehouse-etl`, one partition (a day) per run: Stream plans, extract
 * loads staging, transform runs dbt, Radar checks the marts, publish writes the dashboard. Rows stay in the
 * engines; the handoffs carry references (tables, cursors, counts, dbt's results).
 */
export async function warehouseEtl(input: ChainInput): Promise<ChainResult> {
  return runChain(FLOWS['warehouse-etl'], input);
}
