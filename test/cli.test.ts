import { existsSync } from 'node:fs';
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { uiBase } from '../src/temporal/ui.js';
import { cli, ROOT } from './cli-process.js';
import { agentsYaml, eventually, startWorker, testClient, unique, workflowExists, type TestWorker } from './helpers.js';

const EXAMPLE_A = join(ROOT, 'examples', 'schema-to-pipeline.yaml');
const UI = 'http://ui.test:8080/temporal';
/** The run's history page under UI, as a user's browser needs it: namespace and ids URL-encoded. */
const page = (id: string, runId: string): string =>
  `${UI}/namespaces/${inject('temporalNamespace')}/workflows/${encodeURIComponent(id)}/${runId}/history`;

let client: Client;
let closeClient: () => Promise<void>;
let worker: TestWorker;
let rejecting: TestWorker;

beforeAll(async () => {
  ({ client, close: closeClient } = await testClient());
  worker = await startWorker();
  const script = join(import.meta.dirname, 'agents', 'command-agent.mjs');
  rejecting = await startWorker({
    agents: agentsYaml({ builder: `transport: command\ncommand: [node, ${JSON.stringify(script)}, reject]` }),
  });
});
afterAll(async () => {
  await worker.stop();
  await rejecting.stop();
  await closeClient();
});

describe('stream-collab', () => {
  it('run: exit 0, and --json prints {workflowId, runId, status, ui, handoffs, result}, each handoff once', async () => {
    const id = unique('cli-run');
    const r = await cli(['run', 'schema-to-pipeline', '--input', EXAMPLE_A, '--id', id, '--json'], {
      STREAM_COLLAB_TASK_QUEUE: worker.taskQueue,
      TEMPORAL_UI_URL: UI,
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as {
      workflowId: string;
      runId: string;
      status: string;
      ui: string;
      handoffs: { to: string; attempts: number }[];
      result: { output: unknown; flow: string };
    };
    expect(out.workflowId).toBe(id);
    expect(out.runId).toMatch(/^[0-9a-f-]{36}$/);
    expect(out.status).toBe('COMPLETED');
    expect(out.ui).toBe(page(id, out.runId));
    expect(out.handoffs.map((h) => [h.to, h.attempts])).toEqual([
      ['stream', 1],
      ['builder', 1],
    ]);
    expect(r.stdout.match(/"inputContract"/g)).toHaveLength(2);
    expect(out.result).not.toHaveProperty('handoffs');
    expect(out.result.flow).toBe('schema-to-pipeline');
    expect(out.result.output).toMatchObject({
      connectors: [{ api: 'orders_api' }, { api: 'customers_api' }, { api: 'products_api' }],
    });
  });

  it('run: prints the chain as a table and the run’s UI page, at the start and in the report', async () => {
    const id = unique('cli-table');
    const r = await cli(['run', 'schema-to-pipeline', '--input', EXAMPLE_A, '--id', id], {
      STREAM_COLLAB_TASK_QUEUE: worker.taskQueue,
      TEMPORAL_UI_URL: `${UI}/`,
    });
    expect(r.code).toBe(0);
    const runId = (await client.workflow.getHandle(id).describe()).runId;
    expect(r.stderr).toBe(`started ${id} (run ${runId}): ${page(id, runId)}\n`);
    expect(r.stdout).toContain(`  UI: ${page(id, runId)}\n`);
    expect(r.stdout).toContain('schema → stream');
    expect(r.stdout).toContain('3 connector requirements');
    expect(r.stdout).toContain('builder: orders (incremental), customers (incremental), products (incremental)');
    expect(r.stdout).toContain('COMPLETED');
  });

  it('run: exit 1 when the workflow fails, with the failure type and message', async () => {
    const r = await cli(['run', 'schema-to-pipeline', '--input', EXAMPLE_A, '--id', unique('cli-fail')], {
      STREAM_COLLAB_TASK_QUEUE: rejecting.taskQueue,
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      'failed: AgentRejected: handoff 2 (stream → builder) failed: builder rejected the handoff (exit 65)',
    );
  });

  it('exit 2 for bad input, pointing at file, line and field, with no workflow started', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-'));
    const file = join(dir, 'metrics.yaml');
    await writeFile(
      file,
      'metrics:\n  - name: daily_revenue\n    grain: day\n  - name: customer_ltv\n    gran: customer\n',
    );
    const id = unique('cli-bad');
    const r = await cli(['run', 'analytics-pipeline', '--input', file, '--id', id], {
      STREAM_COLLAB_TASK_QUEUE: worker.taskQueue,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`metrics[1].gran (${file}:5:5): unknown field "gran"; did you mean "grain"?`);
    expect(await workflowExists(client, id)).toBe(false);
  });

  it('exit 2 for an unknown flow, naming the closest', async () => {
    const r = await cli(['run', 'schema-to-pipline', '--input', EXAMPLE_A]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown flow "schema-to-pipline"; did you mean "schema-to-pipeline"?');
  });

  it('exit 2 for a missing option or input file', async () => {
    expect((await cli(['run', 'schema-to-pipeline'])).code).toBe(2);
    const missing = await cli(['start', 'schema-to-pipeline', '--input', '/nonexistent.yaml']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read input /nonexistent.yaml');
  });

  it('exit 3 when the server cannot be reached, naming a dev server binary that exists', async () => {
    const bare = await cli(['run', 'schema-to-pipeline', '--input', EXAMPLE_A], {
      TEMPORAL_ADDRESS: '127.0.0.1:1',
      PATH: '/usr/bin:/bin',
    });
    expect(bare.code).toBe(3);
    expect(bare.stderr).toContain('cannot reach the Temporal server at 127.0.0.1:1');
    expect(bare.stderr).toContain(
      'start a dev server: .temporal/bin/temporal server start-dev, or npm run demo -- --keep',
    );
    expect(existsSync(join(ROOT, '.temporal', 'bin', 'temporal'))).toBe(true);

    const bin = await mkdtemp(join(tmpdir(), 'cli-path-'));
    await writeFile(join(bin, 'temporal'), '#!/bin/sh\n');
    await chmod(join(bin, 'temporal'), 0o755);
    const onPath = await cli(['show', 'x'], { TEMPORAL_ADDRESS: '127.0.0.1:1', PATH: `${bin}:/usr/bin:/bin` });
    expect(onPath.code).toBe(3);
    expect(onPath.stderr).toContain('start a dev server: temporal server start-dev, or npm run demo -- --keep');
  });

  it('start reads STREAM_COLLAB_TASK_QUEUE, and with no worker there says how to start one on it', async () => {
    const id = unique('cli-noworker');
    const queue = unique('idle-queue');
    const r = await cli(['start', 'schema-to-pipeline', '--input', EXAMPLE_A, '--id', id], {
      STREAM_COLLAB_TASK_QUEUE: queue,
      TEMPORAL_UI_URL: UI,
    });
    try {
      expect(r.code).toBe(0);
      const { taskQueue, runId } = await client.workflow.getHandle(id).describe();
      expect(taskQueue).toBe(queue);
      expect(r.stderr).toContain(`follow it with: npx stream-collab show ${id} or ${page(id, runId)}\n`);
      expect(r.stderr).toContain(
        `no worker is polling task queue ${queue}; start one with: STREAM_COLLAB_TASK_QUEUE=${queue} npm run worker`,
      );
    } finally {
      await client.workflow.getHandle(id).terminate('test done');
    }
  });

  it('start on a namespace no worker has prepared registers the search attributes chains carry', async () => {
    const namespace = unique('cli-fresh');
    await client.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
    // A new namespace takes a few seconds to be found by every part of the server.
    const found = await eventually(
      () =>
        client.connection.operatorService.listSearchAttributes({ namespace }).then(
          () => true,
          () => false,
        ),
      Boolean,
      30_000,
    );
    expect(found).toBe(true);
    const id = unique('cli-fresh');
    const r = await cli(['start', 'schema-to-pipeline', '--input', EXAMPLE_A, '--id', id, '--json'], {
      TEMPORAL_NAMESPACE: namespace,
      STREAM_COLLAB_TASK_QUEUE: unique('idle-queue'),
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`registered search attributes on ${namespace}: StreamFlow, StreamAgents`);
    expect(JSON.parse(r.stdout)).toMatchObject({ workflowId: id });
    const { customAttributes } = await client.connection.operatorService.listSearchAttributes({ namespace });
    expect(Object.keys(customAttributes ?? {})).toContain('StreamStep');
    await client.workflowService.terminateWorkflowExecution({ namespace, workflowExecution: { workflowId: id } });
  }, 60_000);

  it('derives the UI from the server address when TEMPORAL_UI_URL is not set', () => {
    expect(uiBase('localhost:7233', {})).toBe('http://localhost:8233');
    expect(uiBase('127.0.0.1:7400', {})).toBe('http://127.0.0.1:8400');
    expect(uiBase('payments.a2b3c.tmprl.cloud:7233', {})).toBe('https://cloud.temporal.io');
    expect(uiBase('temporal.internal:7233', {})).toBeUndefined();
    expect(uiBase('temporal.internal:7233', { TEMPORAL_UI_URL: 'https://ui.internal/' })).toBe('https://ui.internal');
  });

  it('start returns the id at once; show prints the chain', async () => {
    const id = unique('cli-start');
    const started = await cli(
      [
        'start',
        'pipeline-visualization',
        '--input',
        join(ROOT, 'examples', 'pipeline-visualization.yaml'),
        '--id',
        id,
        '--json',
      ],
      {
        STREAM_COLLAB_TASK_QUEUE: worker.taskQueue,
      },
    );
    expect(started.code).toBe(0);
    expect(JSON.parse(started.stdout)).toMatchObject({ workflowId: id });
    await client.workflow.getHandle(id).result();
    const shown = await cli(['show', id, '--json'], { TEMPORAL_UI_URL: UI });
    expect(shown.code).toBe(0);
    const { runId } = JSON.parse(started.stdout) as { runId: string };
    expect(JSON.parse(shown.stdout)).toMatchObject({
      workflowId: id,
      status: 'COMPLETED',
      ui: page(id, runId),
      handoffs: [{ to: 'stream' }, { to: 'canvas' }],
    });
    expect(shown.stdout.match(/"inputContract"/g)).toHaveLength(2);
    const text = await cli(['show', id], { TEMPORAL_UI_URL: UI });
    expect(text.stdout).toContain('stream → canvas');
    expect(text.stdout).toContain(`  UI: ${page(id, runId)}\n`);
    expect((await cli(['show', unique('nope')])).code).toBe(2);
  });

  it('flows lists every flow with its agents and input contract', async () => {
    const r = await cli(['flows', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as {
      flows: {
        flow: string;
        handoffs: { to: string; transport: string }[];
        input: { contract: string; fields: string[] };
      }[];
    };
    expect(out.flows.map((f) => f.flow)).toEqual([
      'schema-to-pipeline',
      'analytics-pipeline',
      'pipeline-visualization',
      'pipeline-testing',
      'cost-aware-pipeline',
      'warehouse-etl',
    ]);
    expect(out.flows[1]?.input).toEqual({ contract: 'pulse-to-stream', fields: ['metrics'] });
    expect(out.flows[0]?.handoffs.map((h) => `${h.to}:${h.transport}`)).toEqual(['stream:builtin', 'builder:builtin']);
  });
});
