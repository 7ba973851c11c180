import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  BackfillRequestError,
  ChainFailedError,
  ChainInputError,
  ChainNotFoundError,
  connect,
  FailureType,
  FLOW_INPUTS,
  type StreamCollab,
} from '../src/client.js';
import { CONTRACTS } from '../src/contracts/index.js';
import { FLOW_NAMES, FLOWS } from '../src/flows.js';
import { ROOT } from './cli-process.js';
import {
  agentsYaml,
  builderReply,
  replyJson,
  startHttpAgent,
  startWorker,
  unique,
  type TestWorker,
} from './helpers.js';

const run = promisify(execFile);

/** Builder over HTTP: it rejects (422) connector requirements for a table named `raw_refused`. */
let builder: Awaited<ReturnType<typeof startHttpAgent>>;
let worker: TestWorker;
let sc: StreamCollab;

beforeAll(async () => {
  builder = await startHttpAgent((req, _n, res) => {
    if (JSON.stringify(req.body.payload).includes('raw_refused'))
      replyJson(res, 422, { error: 'no connector for raw_refused' });
    else replyJson(res, 200, builderReply(req));
  });
  worker = await startWorker({ agents: agentsYaml({ builder: `transport: http\nurl: ${builder.url}` }) });
  sc = await connect({
    address: inject('temporalAddress'),
    namespace: inject('temporalNamespace'),
    taskQueue: worker.taskQueue,
  });
});
afterAll(async () => {
  await sc.close();
  await worker.stop();
  await builder.close();
});

/** A model name no other test uses, so each chain has its own business key. */
const model = (): string => unique('fct_client').replace('-', '_');

/** The environment a client script gets: the test server and the test worker's task queue. */
const scriptEnv = (): NodeJS.ProcessEnv => ({
  ...process.env,
  TEMPORAL_ADDRESS: inject('temporalAddress'),
  TEMPORAL_NAMESPACE: inject('temporalNamespace'),
  STREAM_COLLAB_TASK_QUEUE: worker.taskQueue,
});

describe('stream-collab/client', () => {
  it('types each flow by the contract of its first handoff', () => {
    for (const flow of FLOW_NAMES) {
      const first = FLOWS[flow].handoffs[0]?.input;
      expect(first && CONTRACTS[first], flow).toBe(FLOW_INPUTS[flow]);
    }
  });

  it('runs a chain under its business key and shows it', async () => {
    const target = model();
    const chain = await sc.run('schema-to-pipeline', { source_tables: ['raw_orders'], target_model: target });
    expect(chain.chainId).toMatch(new RegExp(`^schema-to-pipeline/${target}/[0-9a-f]{12}$`));
    expect(chain.handoffs.map((h) => [h.to, h.status, h.transport])).toEqual([
      ['stream', 'completed', 'builtin'],
      ['builder', 'completed', 'http'],
    ]);
    const shown = await sc.show(chain.chainId);
    expect(shown).toMatchObject({ workflowId: chain.chainId, status: 'COMPLETED' });
    expect(shown.chain?.output).toEqual(chain.output);
  });

  it('checks the input before anything starts', async () => {
    const started = builder.requests.length;
    const err: unknown = await sc
      .start('analytics-pipeline', { metrics: [{ name: 'daily_revenue', grain: 'day', gran: 'day' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChainInputError);
    if (!(err instanceof ChainInputError)) return;
    expect(err.type).toBe(FailureType.ContractViolation);
    expect(err.issues.map((i) => [i.path, i.message])).toEqual([
      ['metrics[0].gran', 'unknown field "gran"; did you mean "grain"?'],
    ]);
    expect(builder.requests.length).toBe(started);
  });

  it('fails with the failure type and the chain so far', async () => {
    const target = model();
    const err: unknown = await sc
      .run('schema-to-pipeline', { source_tables: ['raw_refused'], target_model: target })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChainFailedError);
    if (!(err instanceof ChainFailedError)) return;
    expect(err.type).toBe(FailureType.AgentRejected);
    expect(err.status).toBe('FAILED');
    expect(err.workflowId).toContain(`schema-to-pipeline/${target}/`);
    expect(err.message).toContain('handoff 2 (stream → builder) failed');
    expect(err.chain?.handoffs.map((h) => h.status)).toEqual(['completed', 'failed']);
    expect((await sc.show(err.workflowId)).failure?.type).toBe(FailureType.AgentRejected);
  });

  it('says when there is no such workflow', async () => {
    await expect(sc.show(unique('no-such-chain'))).rejects.toBeInstanceOf(ChainNotFoundError);
  });

  it('backfills partitions, skipping one a chain already covered', async () => {
    const input = { source_tables: ['raw_events'], target_model: model() };
    await sc.run('schema-to-pipeline', input, { partition: 'date_key=2026-11-01' });
    const started = await sc.backfill('schema-to-pipeline', input, { from: '2026-11-01', to: '2026-11-03' });
    expect(started.partitions).toBe(3);
    const progress = await started.result();
    expect(progress.counts).toMatchObject({ succeeded: 2, skipped: 1, failed: 0 });
    expect(progress.partitions.find((p) => p.partition === 'date_key=2026-11-01')?.status).toBe('skipped');
    expect((await sc.backfillStatus(started.workflowId)).status).toBe('COMPLETED');
    await expect(
      sc.backfill('schema-to-pipeline', input, { from: '2026-11-03', to: '2026-11-01' }),
    ).rejects.toBeInstanceOf(BackfillRequestError);
  });
});

describe('client scripts', () => {
  it('examples/client.ts runs a chain through stream-collab/client', async () => {
    const target = model();
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'examples/client.ts', target], {
      cwd: ROOT,
      env: scriptEnv(),
    });
    const printed: unknown = JSON.parse(stdout);
    expect(printed).toMatchObject({
      workflowId: expect.stringContaining(`schema-to-pipeline/${target}/`),
      status: 'COMPLETED',
      handoffs: [
        { step: 1, from: 'schema', to: 'stream', attempts: 1 },
        { step: 2, from: 'stream', to: 'builder', attempts: 1 },
      ],
      connectors: 2,
    });
  });

  it('examples/client.py (Python temporalio) starts the same workflow by type name and reads its result', async () => {
    if (!existsSync(join(ROOT, '.pydeps', 'temporalio'))) {
      await run('npm', ['run', 'python:install'], { cwd: ROOT, timeout: 300_000 });
    }
    const target = model();
    const workflowId = unique('python-client');
    const { stdout } = await run('python3', [join('examples', 'client.py'), target, workflowId], {
      cwd: ROOT,
      env: { ...scriptEnv(), PYTHONPATH: join(ROOT, '.pydeps') },
    });
    expect(JSON.parse(stdout)).toEqual({
      workflowId,
      status: 'completed',
      handoffs: [
        { step: 1, from: 'schema', to: 'stream', status: 'completed' },
        { step: 2, from: 'stream', to: 'builder', status: 'completed' },
      ],
      connectors: ['raw_orders_api_connector', 'raw_customers_api_connector'],
    });
    const shown = await sc.show(workflowId);
    expect(shown.status).toBe('COMPLETED');
    expect(shown.chain?.handoffs[1]?.transport).toBe('http');
  });
});
