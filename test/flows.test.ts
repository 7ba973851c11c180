import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFlowInput } from '../src/cli/input.js';
import { DESIGN_FLOW_NAMES, FLOWS, type FlowName } from '../src/flows.js';
import { startChain, waitChain, type ChainOutcome } from '../src/temporal/chains.js';
import { chainQuery } from '../src/workflows/chain.js';
import { eventually, startWorker, testClient, unique, type TestWorker } from './helpers.js';

let client: Client;
let closeClient: () => Promise<void>;
let worker: TestWorker;

beforeAll(async () => {
  ({ client, close: closeClient } = await testClient());
  worker = await startWorker();
});
afterAll(async () => {
  await worker.stop();
  await closeClient();
});

const example = (flow: FlowName): string => join(import.meta.dirname, '..', 'examples', `${flow}.yaml`);

async function run(
  flow: FlowName,
  payload?: Record<string, unknown>,
  partition?: string,
): Promise<ChainOutcome & { workflowId: string }> {
  const input = payload ?? (await readFlowInput(flow, example(flow)));
  const started = await startChain(client, flow, input, {
    id: unique(flow),
    taskQueue: worker.taskQueue,
    ...(partition !== undefined ? { partition } : {}),
  });
  return { ...(await waitChain(started.handle)), workflowId: started.workflowId };
}

describe('each pattern end to end with the built-in agents', () => {
  it.each(DESIGN_FLOW_NAMES)('%s completes with every handoff recorded', async (flow) => {
    const outcome = await run(flow);
    expect(outcome.status).toBe('COMPLETED');
    const state = outcome.state;
    expect(state?.handoffs.map((h) => [h.from, h.to, h.status, h.attempts, h.transport])).toEqual(
      FLOWS[flow].handoffs.map((h) => [h.from, h.to, 'completed', 1, 'builtin']),
    );
    for (const h of state?.handoffs ?? []) {
      expect(Date.parse(h.finishedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(h.startedAt ?? ''));
      expect(h.input).toBeTypeOf('object');
      expect(h.output).toBeTypeOf('object');
    }
    // Each handoff's output is the next one's input, and the last output is the chain's.
    expect(state?.handoffs[1]?.input).toEqual(state?.handoffs[0]?.output);
    expect(state?.output).toEqual(state?.handoffs[1]?.output);
  });

  it("Pattern A: Builder's extraction SQL for every source table, written as an artifact", async () => {
    const { state } = await run('schema-to-pipeline');
    const connectors = state?.output?.connectors as { table: string; method: string; extraction_sql: string }[];
    expect(connectors.map((c) => c.table)).toEqual(['orders', 'customers', 'products']);
    const artifact = state?.artifacts.find((a) => a.name === 'extract.sql');
    expect(artifact).toBeDefined();
    const sql = await readFile(artifact?.path ?? '', 'utf8');
    expect(sql).toContain(
      'SELECT * FROM customers WHERE updated_at > $cursor AND updated_at <= $high_watermark ORDER BY updated_at;',
    );
  });

  it('Pattern B: the marts exist in the DuckDB warehouse afterwards', async () => {
    const { state } = await run('analytics-pipeline');
    expect(state?.output?.warehouse).toBe(join(worker.outDir, 'warehouse.duckdb'));
    const db = await DuckDBInstance.create(join(worker.outDir, 'warehouse.duckdb'));
    const conn = await db.connect();
    const tables = (
      await conn.runAndReadAll(`SELECT table_name FROM information_schema.tables ORDER BY table_name`)
    ).getRowObjectsJS();
    conn.closeSync();
    db.closeSync();
    expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(['fct_daily_revenue', 'mart_customer_ltv']));
  });

  it('Pattern C: a Mermaid flowchart with every component and edge', async () => {
    const { state } = await run('pipeline-visualization');
    const diagram = String(state?.output?.diagram);
    expect(diagram.startsWith('flowchart LR\n')).toBe(true);
    for (const name of ['PostgreSQL', 'S3', 'Kafka', 'Spark', 'Snowflake', 'Redis'])
      expect(diagram).toContain(`"${name}"`);
    expect(diagram).toContain('n_PostgreSQL -->|"CDC"| n_Kafka');
    expect(state?.output).toMatchObject({ nodes: 6, edges: 5 });
  });

  it('Pattern D: checks run against the warehouse table once it exists', async () => {
    const db = await DuckDBInstance.create(join(worker.outDir, 'warehouse.duckdb'));
    const conn = await db.connect();
    await conn.run('CREATE OR REPLACE TABLE fct_sales (order_id INTEGER, amount DECIMAL(18,2))');
    await conn.run('INSERT INTO fct_sales VALUES (1, 10), (2, 20), (NULL, 5)');
    conn.closeSync();
    const { state, status, failure } = await run('pipeline-testing');
    expect(state?.output?.checks).toMatchObject([
      { check: 'row_count > 0', table: 'fct_sales', status: 'passed', actual: 3 },
      { check: 'no_nulls: order_id', table: 'fct_sales', status: 'failed', actual: 1 },
    ]);
    expect(state?.output?.summary).toEqual({ passed: 1, failed: 1, skipped: 0 });
    // A failed check fails the chain: the agents did their job, the data is wrong.
    expect(status).toBe('FAILED');
    expect(failure).toEqual({
      type: 'DataQualityFailed',
      message: expect.stringContaining('1 data-quality check failed: no_nulls: order_id on fct_sales (actual 1)'),
    });
    expect(state?.handoffs.map((h) => h.status)).toEqual(['completed', 'completed']);
  });

  it('Pattern E: a priced provisioning plan', async () => {
    const { state } = await run('cost-aware-pipeline');
    expect(state?.handoffs[0]?.output).toEqual({
      infrastructure_needs: {
        kafka: { brokers: 3, storage: '1TB' },
        spark: { workers: 5, memory: '16GB per worker' },
        warehouse: { type: 'Snowflake', warehouse_size: 'MEDIUM' },
      },
    });
    expect(state?.output?.monthly_cost_usd).toBeGreaterThan(0);
  });
});

/** Visibility is eventually consistent: poll a list query until it returns something. */
async function listUntilFound(
  query: string,
): Promise<{ workflowId: string; searchAttributes: Record<string, unknown> }[]> {
  return eventually(
    async () => {
      const found: { workflowId: string; searchAttributes: Record<string, unknown> }[] = [];
      for await (const wf of client.workflow.list({ query })) {
        found.push({
          workflowId: wf.workflowId,
          searchAttributes: Object.fromEntries(wf.typedSearchAttributes.getAll().map((p) => [p.key.name, p.value])),
        });
      }
      return found;
    },
    (found) => found.length > 0,
    10_000,
    200,
  );
}

describe('chains', () => {
  it('carry search attributes: flow, agents, partition (and no step once completed)', async () => {
    const partition = unique('date_key=2026-11');
    const outcome = await run('analytics-pipeline', undefined, partition);
    const [found] = await listUntilFound(
      `StreamFlow="analytics-pipeline" AND StreamPartition="${partition}" AND ExecutionStatus="Completed"`,
    );
    expect(found?.workflowId).toBe(outcome.workflowId);
    expect(found?.searchAttributes).toMatchObject({
      StreamFlow: 'analytics-pipeline',
      StreamPartition: partition,
      StreamAgents: ['pulse', 'stream', 'schema'],
    });
    expect(found?.searchAttributes).not.toHaveProperty('StreamStep');
  });

  it('that fail keep the step they failed at', async () => {
    const outcome = await run('analytics-pipeline', { metrics: [{ name: 'daily_revenue' }] }, unique('p'));
    const [found] = await listUntilFound(
      `WorkflowId="${outcome.workflowId}" AND StreamStep="1 pulse→stream" AND ExecutionStatus="Failed"`,
    );
    expect(found?.workflowId).toBe(outcome.workflowId);
  });

  it('started without search attributes (e.g. by `temporal workflow start`) add them themselves', async () => {
    const partition = unique('date_key=2026-12');
    const handle = await client.workflow.start('pipelineVisualization', {
      taskQueue: worker.taskQueue,
      workflowId: unique('bare'),
      args: [{ payload: await readFlowInput('pipeline-visualization', example('pipeline-visualization')), partition }],
    });
    await handle.result();
    const [found] = await listUntilFound(`WorkflowId="${handle.workflowId}" AND StreamPartition="${partition}"`);
    expect(found?.searchAttributes).toMatchObject({ StreamFlow: 'pipeline-visualization' });
    // Only a chain that fails records a step (the patch it asked, as our starters' chain code 5 does).
    expect(found?.searchAttributes).not.toHaveProperty('StreamStep');
  });

  it('carry the partition in the result', async () => {
    const outcome = await run('schema-to-pipeline', undefined, 'date_key=2026-11-01');
    expect(outcome.state?.partition).toBe('date_key=2026-11-01');
  });

  it('fail fast with ContractViolation when the first payload breaks its contract, naming the field', async () => {
    const outcome = await run('analytics-pipeline', { metrics: [{ name: 'daily_revenue' }] });
    expect(outcome).toMatchObject({ status: 'FAILED', failure: { type: 'ContractViolation' } });
    expect(outcome.failure?.message).toContain('metrics[0].grain: missing required field');
    expect(outcome.state?.handoffs[0]).toMatchObject({ status: 'failed', attempts: 1 });
    expect(outcome.state?.handoffs[1]).toMatchObject({ status: 'pending' });
  });

  it('are queryable after they close, and a second start of the same id attaches instead of duplicating', async () => {
    const payload = await readFlowInput('schema-to-pipeline', example('schema-to-pipeline'));
    const id = unique('attach');
    const [a, b] = await Promise.all([
      startChain(client, 'schema-to-pipeline', payload, { id, taskQueue: worker.taskQueue }),
      startChain(client, 'schema-to-pipeline', payload, { id, taskQueue: worker.taskQueue }),
    ]);
    expect(a.runId).toBe(b.runId);
    await waitChain(a.handle);
    const state = await client.workflow.getHandle(id).query(chainQuery);
    expect(state.status).toBe('completed');
    expect(state.handoffs).toHaveLength(2);
  });
});
