import { FLOWS } from '../flows.js';
import { runChain, type ChainInput, type ChainResult } from './chain.js';

/** Pattern C, flow `pipeline-visualization`. requester → Stream → Canvas: a pipeline request becomes a diagram spec, then a Mermaid diagram. */
export async function pipelineVisualization(input: ChainInput): Promise<ChainResult> {
  return runChain(FLOWS['pipeline-visualization'], input);
}
