import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChain, waitChain } from '../src/temporal/chains.js';
import { cli } from './cli-process.js';
import {
  agentsYaml,
  builderReply,
  eventually,
  replyJson,
  startHttpAgent,
  startWorker,
  testClient,
  unique,
  type TestWorker,
} from './helpers.js';

let client: Client;
let closeClient: () => Promise<void>;
let worker: TestWorker;
let stream: Awaited<ReturnType<typeof startHttpAgent>>;
let builder: Awaited<ReturnType<typeof startHttpAgent>>;
let builderVersion = 'v1';

beforeAll(async () => {
  ({ client, close: closeClient } = await testClient());
  // Stream and Builder as real HTTP agents, so the test can count who is called.
  stream = await startHttpAgent((req, _n, res) => {
    const tables = (req.body.payload as { source_tables: string[] }).source_tables;
    replyJson(res, 200, {
      connector_requirements: tables.map((t) => ({ api: `${t}_api`, method: 'incremental', key: 'updated_at' })),
    });
  });
  builder = await startHttpAgent((req, _n, res) => replyJson(res, 200, builderReply(req, `builder-${builderVersion}`)));
  worker = await startWorker({
    agents: agentsYaml({
      stream: `transport: http\nurl: ${stream.url}`,
      builder: `transport: http\nurl: ${builder.url}`,
    }),
  });
});
afterAll(async () => {
  await worker.stop();
  await stream.close();
  await builder.close();
  await closeClient();
});

async function original(): Promise<string> {
  builderVersion = 'v1';
  const started = await startChain(
    client,
    'schema-to-pipeline',
    { source_tables: ['orders', 'customers'], target_model: unique('fct').replace('-', '_') },
    { taskQueue: worker.taskQueue, partition: 'date_key=2026-11-01' },
  );
  expect((await waitChain(started.handle)).status).toBe('COMPLETED');
  return started.workflowId;
}

describe('replay from a handoff', () => {
  it('from step 2 calls Builder but not Stream, links to the original and reports the diff', async () => {
    const id = await original();
    const streamCalls = stream.requests.length;
    const builderCalls = builder.requests.length;
    builderVersion = 'v2';
    const r = await cli(['replay', id, '--from-step', 'builder', '--json'], {
      STREAM_COLLAB_TASK_QUEUE: worker.taskQueue,
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(stream.requests.length).toBe(streamCalls);
    expect(builder.requests.length).toBe(builderCalls + 1);
    const out = JSON.parse(r.stdout) as {
      workflowId: string;
      replayOf: { workflowId: string };
      handoffs: {
        step: number;
        how: string;
        outputChanged: boolean;
        outputChanges: { path: string; kind: string; before: unknown; after: unknown }[];
      }[];
      result: { partition: string; replayOf: { workflowId: string; fromStep: number } };
    };
    expect(out.workflowId).toBe(`${id}/replay-from-2`);
    expect(out.replayOf.workflowId).toBe(id);
    expect(out.result).toMatchObject({ partition: 'date_key=2026-11-01', replayOf: { workflowId: id, fromStep: 2 } });
    expect(out.handoffs.map((h) => [h.step, h.how, h.outputChanged])).toEqual([
      [1, 'reused', false],
      [2, 'called', true],
    ]);
    expect(out.handoffs[1]?.outputChanges).toEqual([
      { path: 'connectors[0].built_by', kind: 'changed', before: 'builder-v1', after: 'builder-v2' },
      { path: 'connectors[1].built_by', kind: 'changed', before: 'builder-v1', after: 'builder-v2' },
    ]);
    // The replay is findable from the original through its search attribute.
    const found = await eventually(
      async () => (await client.workflow.count(`StreamReplayOf = "${id}"`)).count,
      (n) => n > 0,
      10_000,
      200,
    );
    expect(found).toBe(1);
  });

  it('with --override hands the overriding payload into the chosen step, checked against its contract', async () => {
    const id = await original();
    const dir = await mkdtemp(join(tmpdir(), 'override-'));
    const good = join(dir, 'override.yaml');
    await writeFile(good, 'connector_requirements:\n  - api: products_api\n    method: full\n');
    const r = await cli(['replay', id, '--from-step', '2', '--override', good], {
      STREAM_COLLAB_TASK_QUEUE: worker.taskQueue,
    });
    expect(r.code).toBe(0);
    expect(builder.requests.at(-1)?.body.payload).toEqual({
      connector_requirements: [{ api: 'products_api', method: 'full' }],
    });
    expect(r.stdout).toContain('2. stream → builder: called; input differs from the original:');
    expect(r.stdout).toContain('~ connector_requirements[0].api: "orders_api" → "products_api"');
    expect(r.stdout).toContain('- connector_requirements[1]:');

    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'connector_requirements:\n  - api: products_api\n    method: sometimes\n');
    const refused = await cli(['replay', id, '--from-step', '2', '--override', bad]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('connector_requirements[0].method');
  });

  it('refuses a step that does not exist', async () => {
    const id = await original();
    const r = await cli(['replay', id, '--from-step', 'canvas']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      '--from-step: no handoff to "canvas" in schema-to-pipeline; its steps are 1 (schema → stream), 2 (stream → builder)',
    );
  });

  it('in bulk re-drives every completed chain of a flow since a time', async () => {
    // The chains of earlier tests on this worker must start before `since`, its 1 s of slack included.
    await new Promise((r) => setTimeout(r, 1100));
    const since = new Date(Date.now() - 1000).toISOString();
    const a = await original();
    const b = await original();
    builderVersion = 'v3';
    const r = await cli(
      ['replay', '--flow', 'schema-to-pipeline', '--since', since, '--from-step', 'builder', '--json'],
      { STREAM_COLLAB_TASK_QUEUE: worker.taskQueue },
    );
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as {
      matched: number;
      replayed: number;
      changed: number;
      chains: { workflowId: string }[];
    };
    expect(out.chains.map((c) => c.workflowId).sort()).toEqual([a, b].sort());
    expect(out).toMatchObject({ matched: 2, replayed: 2, changed: 2 });
  });
});
