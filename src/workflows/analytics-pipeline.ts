import { FLOWS } from '../flows.js';
import { runChain, type ChainInput, type ChainResult } from './chain.js';

/** Pattern B, flow `analytics-pipeline`. Pulse → Stream → Schema: metrics become mart requirements, then DDL executed in the warehouse. */
export async function analyticsPipeline(input: ChainInput): Promise<ChainResult> {
  return runChain(FLOWS['analytics-pipeline'], input);
}
