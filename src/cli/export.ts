import { writeFile } from 'node:fs/promises';
import { WorkflowNotFoundError } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { ExitCode, UsageError } from './errors.js';
import { withClient } from './context.js';

/**
 * `export <workflowId> --out history.json`: the raw event history of the latest run, in the JSON form
 * `temporal workflow show --output json` writes, which `Worker.runReplayHistories` replays against new
 * workflow code: commit it under test/fixtures/histories to guard chains in flight.
 */
export async function exportCommand(workflowId: string, options: { out: string }): Promise<number> {
  return withClient(async (client) => {
    let runId: string;
    try {
      ({ runId } = await client.workflow.getHandle(workflowId).describe());
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new UsageError(`no workflow with id ${workflowId}`);
      throw err;
    }
    // Pinned to the run just described, so a run started meanwhile cannot mix into the file.
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    await writeFile(options.out, `${historyToJSON(history)}\n`);
    console.log(`wrote ${options.out}: ${history.events?.length ?? 0} events of ${workflowId} (run ${runId})`);
    return ExitCode.Ok;
  });
}
