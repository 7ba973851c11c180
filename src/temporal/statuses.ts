import { WorkflowNotFoundError, type Client } from '@temporalio/client';

/** How many describe calls run at once: enough to be quick, few enough to be gentle on the server. */
const CONCURRENCY = 16;

/**
 * The status of each workflow id's latest run, or `NOT_FOUND`. Describe, not visibility: a backfill deciding
 * what to skip must not act on a list that lags behind.
 */
export async function lookupStatuses(client: Client, workflowIds: readonly string[]): Promise<string[]> {
  const out: string[] = new Array<string>(workflowIds.length).fill('NOT_FOUND');
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < workflowIds.length) {
      const i = next;
      next += 1;
      const id = workflowIds[i];
      if (id === undefined) continue;
      try {
        out[i] = (await client.workflow.getHandle(id).describe()).status.name;
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, workflowIds.length) }, worker));
  return out;
}
