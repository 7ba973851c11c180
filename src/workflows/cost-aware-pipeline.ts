import { FLOWS } from '../flows.js';
import { runChain, type ChainInput, type ChainResult } from './chain.js';

/** Pattern E, flow `cost-aware-pipeline`. requester → Stream → Scaffold: a pipeline request becomes infrastructure needs, then a priced provisioning plan. */
export async function costAwarePipeline(input: ChainInput): Promise<ChainResult> {
  return runChain(FLOWS['cost-aware-pipeline'], input);
}
