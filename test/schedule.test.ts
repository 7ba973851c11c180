import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure, ChildWorkflowFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { field } from '../src/field.js';
import { defaultChainId, parseWorkflowId, partitionOf } from '../src/identity/index.js';
import { backfillProgress, startBackfill } from '../src/temporal/backfills.js';
import { isChainState } from '../src/temporal/chains.js';
import type { scheduledChain, ScheduledRun } from '../src/workflows/scheduled-chain.js';
import { cli } from './cli-process.js';
import { agentsYaml, eventually, startWorker, testClient, unique, waitFor, type TestWorker } from './helpers.js';

let client: Client;
let closeClient: () => Promise<void>;
let worker: TestWorker;
/** A worker whose Builder rejects every handoff (exit 65), so its chains fail with AgentRejected. */
let rejecting: TestWorker;
let dir: string;
let input: string;
/** A target model of this file only, so the partitions' chains (business keys) are this file's alone. */
const model = unique('fct_sched').replace('-', '_');
const payload = { source_tables: ['orders'], target_model: model };

beforeAll(async () => {
  ({ client, close: closeClient } = await testClient());
  worker = await startWorker();
  const script = join(import.meta.dirname, 'agents', 'command-agent.mjs');
  rejecting = await startWorker({
    agents: agentsYaml({ builder: `transport: command\ncommand: [node, ${JSON.stringify(script)}, reject]` }),
  });
  dir = await mkdtemp(join(tmpdir(), 'schedules-'));
  input = join(dir, 'input.yaml');
  await writeFile(input, `source_tables: [orders]\ntarget_model: ${model}\n`);
});
afterAll(async () => {
  await worker.stop();
  await rejecting.stop();
  await closeClient();
});

const env = (): Record<string, string> => ({ STREAM_COLLAB_TASK_QUEUE: worker.taskQueue });

/** A schedule's completed runs (its launchers), sorted by partition, once there are `count` of them. */
async function runsOf(scheduleId: string, count: number): Promise<(ScheduledRun & { workflowId: string })[]> {
  const runs = await eventually(
    async () => {
      const found: (ScheduledRun & { workflowId: string })[] = [];
      for await (const wf of client.workflow.list({
        query: `TemporalScheduledById = "${scheduleId}" AND ExecutionStatus = "Completed"`,
      })) {
        const result = await client.workflow.getHandle<typeof scheduledChain>(wf.workflowId, wf.runId).result();
        found.push({ ...result, workflowId: wf.workflowId });
      }
      return found;
    },
    (found) => found.length >= count,
    30_000,
    200,
  );
  if (runs.length >= count) return runs.sort((a, b) => a.partition.localeCompare(b.partition));
  throw new Error(`schedule ${scheduleId} did not complete ${count} runs`);
}

/** The partitions of a schedule's completed runs, each checked against the chain it ran. */
async function partitionsOf(scheduleId: string, count: number): Promise<string[]> {
  const partitions: string[] = [];
  for (const run of await runsOf(scheduleId, count)) {
    expect(run.outcome).toBe('ran');
    const chain: unknown = await client.workflow.getHandle(run.chainId).result();
    expect(isChainState(chain) && chain.partition).toBe(run.partition);
    partitions.push(run.partition);
  }
  return partitions;
}

describe('schedules', () => {
  it('a daily schedule triggered now processes the previous day; a schedule backfill over 3 days processes each day before', async () => {
    const id = unique('daily');
    const created = await cli(
      ['schedule', 'create', id, 'schema-to-pipeline', '--input', input, '--cron', '0 2 * * *'],
      env(),
    );
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(
      new RegExp(
        `created schedule ${id}: schema-to-pipeline cron "0 2 \\* \\* \\*"; next run \\d{4}-\\d{2}-\\d{2}T02:00:00.000Z`,
      ),
    );

    const before = Date.now();
    expect((await cli(['schedule', 'trigger', id])).code).toBe(0);
    const [triggered] = await partitionsOf(id, 1);
    const yesterday = [before, Date.now()].map((t) => partitionOf(new Date(t - 86_400_000), 'day'));
    expect(yesterday).toContain(triggered);

    expect((await cli(['schedule', 'backfill', id, '--from', '2026-11-01', '--to', '2026-11-03'])).code).toBe(0);
    const all = await partitionsOf(id, 4);
    expect(all.filter((p) => p !== triggered)).toEqual([
      'date_key=2026-10-31',
      'date_key=2026-11-01',
      'date_key=2026-11-02',
    ]);

    const described = await cli(['schedule', 'describe', id, '--json']);
    expect(JSON.parse(described.stdout)).toMatchObject({ scheduleId: id, paused: false });
    expect((await cli(['schedule', 'pause', id])).code).toBe(0);
    expect(JSON.parse((await cli(['schedule', 'describe', id, '--json'])).stdout)).toMatchObject({ paused: true });
    expect((await cli(['schedule', 'unpause', id])).code).toBe(0);
    expect((await cli(['schedule', 'list'])).stdout).toContain(id);
    expect((await cli(['schedule', 'delete', id])).code).toBe(0);
    const gone = await cli(['schedule', 'describe', id]);
    expect(gone.code).toBe(2);
    expect(gone.stderr).toContain(`no schedule with id ${id}`);
  });

  it('a scheduled run and a backfill of the same partition make one chain under its business key, seen by both', async () => {
    const id = unique('one-key');
    const created = await cli(
      ['schedule', 'create', id, 'schema-to-pipeline', '--input', input, '--cron', '0 2 * * *'],
      env(),
    );
    expect(created.code).toBe(0);
    const chainOf = (partition: string): string => defaultChainId('schema-to-pipeline', payload, partition);

    // The run scheduled for 2026-06-02 02:00 processes 2026-06-01 (lag 1), as the partition's own chain.
    expect((await cli(['schedule', 'backfill', id, '--from', '2026-06-02', '--to', '2026-06-02'])).code).toBe(0);
    const [first] = await runsOf(id, 1);
    expect(first).toMatchObject({
      partition: 'date_key=2026-06-01',
      chainId: chainOf('date_key=2026-06-01'),
      outcome: 'ran',
    });
    expect(parseWorkflowId(first?.workflowId ?? '')).toEqual({
      kind: 'schedule',
      scheduleId: id,
      scheduledAt: '2026-06-02T02:00:00Z',
    });

    // A backfill over 05-31..06-02 sees it: the dry run skips it as succeeded, and `list --partition` finds it.
    const range = ['--from', '2026-05-31', '--to', '2026-06-02'];
    const dry = await cli(['backfill', 'start', 'schema-to-pipeline', '--input', input, ...range, '--dry-run'], env());
    expect(dry.stdout).toMatch(/date_key=2026-06-01 +│ completed +│ skip +│ succeeded earlier/);
    expect(dry.stdout).toContain('dry run (mode missing): 2 would run, 1 would be skipped; nothing was started');
    const listed = await cli(['list', '--partition', 'date_key=2026-06-01', '--json']);
    const parsed: unknown = JSON.parse(listed.stdout);
    expect(field(parsed, 'chains')).toEqual([expect.objectContaining({ workflowId: chainOf('date_key=2026-06-01') })]);

    const { workflowId, handle } = await startBackfill(client, {
      flow: 'schema-to-pipeline',
      payload,
      partitions: { range: { from: '2026-05-31', to: '2026-06-02', grain: 'day' } },
      mode: 'missing',
      maxConcurrent: 4,
      taskQueue: worker.taskQueue,
    });
    await handle.result();
    const { progress } = await backfillProgress(client, workflowId);
    expect(progress.counts).toEqual({ pending: 0, running: 0, succeeded: 2, failed: 0, skipped: 1 });
    expect(progress.partitions.find((p) => p.partition === 'date_key=2026-06-01')?.detail).toBe('succeeded earlier');

    // And the other way round: the run scheduled for 06-03 finds 06-02 done by the backfill and starts nothing.
    expect((await cli(['schedule', 'backfill', id, '--from', '2026-06-03', '--to', '2026-06-03'])).code).toBe(0);
    const [, second] = await runsOf(id, 2);
    expect(second).toMatchObject({
      partition: 'date_key=2026-06-02',
      outcome: 'succeeded earlier',
      chainStatus: 'COMPLETED',
    });

    // Each partition's chain ran exactly once, under its business key.
    const runs = new Map<string, number>();
    const query = `WorkflowType = "schemaToPipeline" AND WorkflowId STARTS_WITH "schema-to-pipeline/${model}/date_key=2026-0"`;
    for await (const wf of client.workflow.list({ query })) runs.set(wf.workflowId, (runs.get(wf.workflowId) ?? 0) + 1);
    expect(Object.fromEntries(runs)).toEqual(
      Object.fromEntries(['2026-05-31', '2026-06-01', '2026-06-02'].map((d) => [chainOf(`date_key=${d}`), 1])),
    );
    expect((await cli(['schedule', 'delete', id])).code).toBe(0);
  });

  it('a scheduled chain that fails fails its run, so --pause-on-failure pauses the schedule', async () => {
    const id = unique('fails');
    const args = ['schedule', 'create', id, 'schema-to-pipeline', '--input', input, '--cron', '0 2 * * *'];
    const created = await cli([...args, '--pause-on-failure'], { STREAM_COLLAB_TASK_QUEUE: rejecting.taskQueue });
    expect(created.code).toBe(0);
    // A run triggered with overlap allow-all (what `trigger` uses) did not pause the schedule on this server.
    const backfill = ['schedule', 'backfill', id, '--from', '2026-04-02', '--to', '2026-04-02', '--overlap', 'skip'];
    expect((await cli(backfill)).code).toBe(0);
    const failed = await eventually(
      async () => {
        const found: string[] = [];
        const query = `TemporalScheduledById = "${id}" AND ExecutionStatus = "Failed"`;
        for await (const wf of client.workflow.list({ query })) found.push(wf.workflowId);
        return found;
      },
      (found) => found.length > 0,
      30_000,
      200,
    );
    expect(failed).toEqual([`schedule/${id}-2026-04-02T02:00:00Z`]);
    const chain = defaultChainId('schema-to-pipeline', payload, 'date_key=2026-04-01');
    expect((await client.workflow.getHandle(chain).describe()).status.name).toBe('FAILED');
    // The run fails with the chain's failure as its cause: the child's AgentRejected.
    const error: unknown = await client.workflow
      .getHandle(failed[0] ?? '')
      .result()
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const child = error instanceof WorkflowFailedError ? error.cause : undefined;
    expect(child).toBeInstanceOf(ChildWorkflowFailure);
    expect(child instanceof ChildWorkflowFailure && child.execution.workflowId).toBe(chain);
    const cause = child?.cause;
    expect(cause instanceof ApplicationFailure && cause.type).toBe('AgentRejected');
    await waitFor('the schedule to pause', async () => {
      const described = await cli(['schedule', 'describe', id, '--json']);
      return field(JSON.parse(described.stdout), 'paused') === true;
    });
    expect((await cli(['schedule', 'delete', id])).code).toBe(0);
  });

  it.each([
    [['--cron', 'daily'], '--cron: expected five fields'],
    [['--cron', '0 2 * * *', '--every', '1d'], 'expected exactly one of --cron <expr> or --every <duration>'],
    [['--every', 'often'], '--every: expected a duration such as "30m", "1h" or "1d", got "often"'],
    [['--cron', '0 2 * * *', '--overlap', 'sometimes'], '--overlap: expected one of skip | buffer-one'],
    [['--cron', '99 2 * * *'], 'the server refused the schedule'],
  ])('refuses %j with exit 2, creating nothing', async (args, message) => {
    const id = unique('bad');
    const r = await cli(['schedule', 'create', id, 'schema-to-pipeline', '--input', input, ...args]);
    expect(r.stderr).toContain(message);
    expect(r.code).toBe(2);
    expect((await cli(['schedule', 'describe', id])).code).toBe(2);
  });

  it('sync creates and updates idempotently, and removes only schedules it created', async () => {
    const [a, b, other] = [unique('sync-a'), unique('sync-b'), unique('manual')];
    const file = join(dir, `${unique('schedules')}.yaml`);
    const write = (entries: string[]): Promise<void> => writeFile(file, `schedules:\n${entries.join('')}`);
    const entry = (id: string, cron: string): string =>
      `  - id: ${id}\n    flow: schema-to-pipeline\n    input: input.yaml\n    cron: "${cron}"\n    partition: { grain: day, lag: 1 }\n`;
    await write([entry(a, '0 2 * * *'), entry(b, '0 3 * * *')]);
    expect(JSON.parse((await cli(['schedule', 'sync', '--file', file, '--json'], env())).stdout)).toEqual({
      created: [a, b],
      updated: [],
      unchanged: [],
      deleted: [],
    });
    expect(JSON.parse((await cli(['schedule', 'sync', '--file', file, '--json'], env())).stdout)).toEqual({
      created: [],
      updated: [],
      unchanged: [a, b],
      deleted: [],
    });
    expect(
      (await cli(['schedule', 'create', other, 'schema-to-pipeline', '--input', input, '--every', '1d'], env())).code,
    ).toBe(0);
    await write([entry(a, '30 2 * * *')]);
    expect(JSON.parse((await cli(['schedule', 'sync', '--file', file, '--json'], env())).stdout)).toEqual({
      created: [],
      updated: [a],
      unchanged: [],
      deleted: [b],
    });
    expect((await cli(['schedule', 'describe', other])).code).toBe(0);
    expect((await cli(['schedule', 'describe', b])).code).toBe(2);

    await writeFile(
      file,
      'schedules:\n  - id: x\n    flow: schema-to-pipline\n    input: input.yaml\n    cron: "0 2 * * *"\n',
    );
    const bad = await cli(['schedule', 'sync', '--file', file]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('schedules[0].flow');
    for (const id of [a, other]) await cli(['schedule', 'delete', id]);
  });
});
