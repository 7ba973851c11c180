import { FLOWS } from '../flows.js';
import { runChain, type ChainInput, type ChainResult } from './chain.js';

/** Pattern D, flow `pipeline-testing`. requester → Stream → Radar: a pipeline request becomes test requirements, then SQL checks run against the warehouse. */
export async function pipelineTesting(input: ChainInput): Promise<ChainResult> {
  return runChain(FLOWS['pipeline-testing'], input);
}
