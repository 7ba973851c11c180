import { WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { chainQuery } from '../workflows/chain';
import { failedOutcome, isChainState, type ChainOutcome } from '../temporal/chains';
import { ExitCode, UsageError } from './errors';
import { chainJson, chainReport } from './render';
import { printJson, uiBase, withClient } from './context';

/** `show <workflowId>`: the chain so far (a query while it runs) or its result once closed. */
export async function showCommand(workflowId: string, options: { json?: boolean }): Promise<number> {
  return withClient(async (client, target) => {
    const handle = client.workflow.getHandle(workflowId);
    let description;
    try {
      description = await handle.describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new UsageError(`no workflow with id ${workflowId}`);
      throw err;
    }
    const status = description.status.name;
    let outcome: ChainOutcome;
    if (status === 'RUNNING') {
      outcome = { status, state: await handle.query(chainQuery) };
    } else {
      try {
        const result: unknown = await handle.result();
        outcome = { status, ...(isChainState(result) ? { state: result } : {}) };
      } catch (err) {
        outcome = err instanceof WorkflowFailedError ? { ...failedOutcome(err), status } : { status };
      }
    }
    if (options.json === true) printJson(chainJson(workflowId, description.runId, outcome));
    else console.log(chainReport(workflowId, description.runId, outcome, uiBase(target)));
    return ExitCode.Ok;
  });
}
