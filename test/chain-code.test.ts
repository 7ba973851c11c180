import { join } from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamStep } from '../src/identity/index.js';
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
  it('a chain our client starts carries no patch marker; one started by type name without it asks the patches', async () => {
    const worker = await startWorker({ agents: agentsYaml({}) });
    try {
      const ours = await startChain(client, 'schema-to-pipeline', PAYLOAD, {
        id: unique('code-ours'),
        taskQueue: worker.taskQueue,
      });
      expect((await waitChain(ours.handle)).status).toBe('COMPLETED');
      const oursEvents = (await ours.handle.fetchHistory()).events ?? [];
      expect(patchTraces(oursEvents)).toEqual([]);
      // Code 5: the starter set the chain's identity and a completed chain upserts nothing (no StreamStep per step).
      expect(upserts(oursEvents)).toEqual([]);

      // As a script in another SDK would start it: by type name, with only the payload.
      const bare: ChainInput = { payload: PAYLOAD };
      const other = await client.workflow.start('schemaToPipeline', {
        taskQueue: worker.taskQueue,
        workflowId: unique('code-bare'),
        args: [bare],
      });
      expect((await waitChain(other)).status).toBe('COMPLETED');
      const otherEvents = (await other.fetchHistory()).events ?? [];
      expect(patchTraces(otherEvents)).toEqual([
        'core_patch',
        'TemporalChangeVersion',
        'core_patch',
        'TemporalChangeVersion',
      ]);
      // It adds its identity itself, without a step: the patches it asked include StreamStep only on failure.
      expect(upserts(otherEvents).filter((names) => !names.includes('TemporalChangeVersion'))).toEqual([
        ['StreamAgents', 'StreamFlow'],
      ]);
    } finally {
      await worker.stop();
    }
  });

  it('a chain that fails records the handoff it failed at, in its one StreamStep upsert', async () => {
    const script = join(import.meta.dirname, 'agents', 'command-agent.mjs');
    const worker = await startWorker({
      agents: agentsYaml({ builder: `transport: command\ncommand: [node, ${JSON.stringify(script)}, reject]` }),
    });
    try {
      const { handle } = await startChain(client, 'schema-to-pipeline', PAYLOAD, {
        id: unique('code-failed'),
        taskQueue: worker.taskQueue,
      });
      const outcome = await waitChain(handle);
      expect(outcome).toMatchObject({ status: 'FAILED', failure: { type: 'AgentRejected' } });
      const events = (await handle.fetchHistory()).events ?? [];
      expect(upserts(events)).toEqual([['StreamStep']]);
      expect((await handle.describe()).typedSearchAttributes.get(StreamStep)).toBe('2 stream→builder');
    } finally {
      await worker.stop();
    }
  });
});

/** The search attribute names of each upsert in a history, sorted. */
function upserts(events: Events): string[][] {
  return events.flatMap((e) => {
    const fields = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields;
    return fields === undefined || fields === null ? [] : [Object.keys(fields).sort()];
  });
}
