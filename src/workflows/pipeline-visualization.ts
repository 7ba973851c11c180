import { FLOWS } from '../flows';
import { runChain, type ChainInput, type ChainResult } from './chain';

/** Pattern C, flow `pipeline-visualization`. requester → Stream → Canvas: a pipeline request becomes a diagram spec, then a Mermaid diagram. */
export async function pipelineVisualization(input: ChainInput): Promise<ChainResult> {
  return runChain(FLOWS['pipeline-visualization'], input);
}
