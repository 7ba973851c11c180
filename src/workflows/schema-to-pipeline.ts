import { FLOWS } from '../flows.js';
import { runChain, type ChainInput, type ChainResult } from './chain.js';

/** Pattern A, flow `schema-to-pipeline`. Schema → Stream → Builder: Schema's model becomes connector requirements, then connector specs with extraction SQL. */
export async function schemaToPipeline(input: ChainInput): Promise<ChainResult> {
  return runChain(FLOWS['schema-to-pipeline'], input);
}
