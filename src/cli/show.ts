import { ExitCode } from './errors.js';
import { loadChain } from './load-chain.js';
import { chainJson, chainReport } from './render.js';
import { printJson, runLink, withClient } from './context.js';

/** `show <workflowId>`: the chain so far (a query while it runs) or its result once closed. */
export async function showCommand(workflowId: string, options: { json?: boolean }): Promise<number> {
  return withClient(async (client, target) => {
    const { runId, outcome } = await loadChain(client, workflowId);
    const link = runLink(target, workflowId, runId);
    if (options.json === true) printJson(chainJson(workflowId, runId, outcome, link));
    else console.log(chainReport(workflowId, outcome, link));
    return ExitCode.Ok;
  });
}
