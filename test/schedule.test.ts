import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionOf } from '../src/identity/index.js';
import { isChainState } from '../src/temporal/chains.js';
import { cli } from './cli-process.js';
import { eventually, startWorker, testClient, unique, type TestWorker } from './helpers.js';

let client: Client;
let closeClient: () => Promise<void>;
let worker: TestWorker;
let dir: string;
let input: string;

beforeAll(async () => {
  ({ client, close: closeClient } = await testClient());
  worker = await startWorker();
  dir = await mkdtemp(join(tmpdir(), 'schedules-'));
  input = join(dir, 'input.yaml');
  await writeFile(input, 'source_tables: [orders]\ntarget_model: fct_sales\n');
});
afterAll(async () => {
  await worker.stop();
  await closeClient();
});

const env = (): Record<string, string> => ({ STREAM_COLLAB_TASK_QUEUE: worker.taskQueue });

/** The partitions of a schedule's completed runs, once there are `count` of them. */
async function partitionsOf(scheduleId: string, count: number): Promise<string[]> {
  const partitions = await eventually(
    async () => {
      const found: string[] = [];
      for await (const wf of client.workflow.list({
        query: `TemporalScheduledById = "${scheduleId}" AND ExecutionStatus = "Completed"`,
      })) {
        const result: unknown = await client.workflow.getHandle(wf.workflowId, wf.runId).result();
        if (isChainState(result) && result.partition !== undefined) found.push(result.partition);
      }
      return found;
    },
    (found) => found.length >= count,
    30_000,
    200,
  );
  if (partitions.length >= count) return partitions.sort();
  throw new Error(`schedule ${scheduleId} did not complete ${count} runs`);
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
