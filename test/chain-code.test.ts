import type { Client, WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChain, waitChain } from '../src/temporal/chains.js';
import type { ChainInput } from '../src/workflows/chain.js';
import { agentsYaml, startWorker, testClient, unique } from './helpers.js';

let client: Client;
let closeClient: () => Promise<void>;
beforeAll(async () => {
  ({ client, close: closeClient } = await testClient());
});
afterAll(async () => closeClient());

type Events = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>;

/** The patch markers and TemporalChangeVersion upserts of a history: what patched() leaves behind. */
function patchTraces(events: Events): string[] {
  return events.flatMap((e) => {
    const marker = e.markerRecordedEventAttributes?.markerName;
    if (marker === 'core_patch') return ['core_patch'];
    const fields = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {};
    return 'TemporalChangeVersion' in fields ? ['TemporalChangeVersion'] : [];
  });
}

const PAYLOAD = { source_tables: ['orders'], target_model: 'fct_sales' };

describe('the chain code stamped by our starters', () => {
  it('a chain our client starts carries no patch marker; one started by type name without it asks the patch', async () => {
    const worker = await startWorker({ agents: agentsYaml({}) });
    try {
      const ours = await startChain(client, 'schema-to-pipeline', PAYLOAD, {
        id: unique('code-ours'),
        taskQueue: worker.taskQueue,
      });
      expect((await waitChain(ours.handle)).status).toBe('COMPLETED');
      const oursEvents = (await ours.handle.fetchHistory()).events ?? [];
      expect(patchTraces(oursEvents)).toEqual([]);
      // The StreamStep upsert of step 2 is still there: the step in progress stays searchable.
      expect(oursEvents.filter((e) => e.upsertWorkflowSearchAttributesEventAttributes)).toHaveLength(1);

      // As a script in another SDK would start it: by type name, with only the payload.
      const bare: ChainInput = { payload: PAYLOAD };
      const other = await client.workflow.start('schemaToPipeline', {
        taskQueue: worker.taskQueue,
        workflowId: unique('code-bare'),
        args: [bare],
      });
      expect((await waitChain(other)).status).toBe('COMPLETED');
      expect(patchTraces((await other.fetchHistory()).events ?? [])).toEqual(['core_patch', 'TemporalChangeVersion']);
    } finally {
      await worker.stop();
    }
  });
});
