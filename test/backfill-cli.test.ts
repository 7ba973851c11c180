import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChain, waitChain } from '../src/temporal/chains.js';
import { backfillWorkflowId } from '../src/identity/index.js';
import { cli } from './cli-process.js';
import { startWorker, testClient, unique, workflowExists, type TestWorker } from './helpers.js';

let client: Client;
let closeClient: () => Promise<void>;
let worker: TestWorker;
let input: string;
let payload: Record<string, unknown>;

beforeAll(async () => {
  ({ client, close: closeClient } = await testClient());
  worker = await startWorker();
  payload = { source_tables: ['orders'], target_model: unique('fct').replace('-', '_') };
  input = join(await mkdtemp(join(tmpdir(), 'bf-')), 'input.yaml');
  await writeFile(input, `source_tables: [orders]\ntarget_model: ${String(payload.target_model)}\n`);
});
afterAll(async () => {
  await worker.stop();
  await closeClient();
});

/** Whether a day-range backfill of the test's payload exists on the server. */
function backfillStarted(from: string, to: string): Promise<boolean> {
  return workflowExists(
    client,
    backfillWorkflowId('schema-to-pipeline', payload, { range: { from, to, grain: 'day' } }),
  );
}

describe('stream-collab backfill', () => {
  it.each([
    [['--from', '2026-02-30', '--to', '2026-03-01'], '--from: expected a date as YYYY-MM-DD, got "2026-02-30"'],
    [
      ['--from', '2026-03-05', '--to', '2026-03-01'],
      '--to: expected a date on or after --from (2026-03-05), got "2026-03-01"',
    ],
    [
      ['--from', '2026-03-01', '--to', '2026-03-02', '--max-concurrent', '501'],
      '--max-concurrent: expected a whole number from 1 to 500, got "501"',
    ],
    [
      ['--from', '2026-03-01', '--to', '2026-03-02', '--grain', 'hour'],
      '--grain: expected one of day | week | month, got "hour"',
    ],
    [['--from', '2026-03-01'], 'expected --from and --to'],
  ])('refuses %j with exit 2 and starts nothing', async (args, message) => {
    const r = await cli(['backfill', 'start', 'schema-to-pipeline', '--input', input, ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(await backfillStarted('2026-03-01', '2026-03-02')).toBe(false);
  });

  it('--dry-run across a month end lists what would run and what is skipped, and why', async () => {
    const done = await startChain(client, 'schema-to-pipeline', payload, {
      partition: 'date_key=2026-01-31',
      taskQueue: worker.taskQueue,
    });
    await waitChain(done.handle);
    const r = await cli([
      'backfill',
      'start',
      'schema-to-pipeline',
      '--input',
      input,
      '--from',
      '2026-01-30',
      '--to',
      '2026-02-02',
      '--dry-run',
    ]);
    expect(r.code).toBe(0);
    for (const day of ['2026-01-30', '2026-02-01', '2026-02-02'])
      expect(r.stdout).toMatch(new RegExp(`date_key=${day} +│ not found +│ run`));
    expect(r.stdout).toMatch(/date_key=2026-01-31 +│ completed +│ skip +│ succeeded earlier/);
    expect(r.stdout).toContain('dry run (mode missing): 3 would run, 1 would be skipped; nothing was started');
    expect(await backfillStarted('2026-01-30', '2026-02-02')).toBe(false);
  });

  it('start --wait runs the range and status reports it', async () => {
    const env = { STREAM_COLLAB_TASK_QUEUE: worker.taskQueue };
    const r = await cli(
      [
        'backfill',
        'start',
        'schema-to-pipeline',
        '--input',
        input,
        '--from',
        '2026-02-27',
        '--to',
        '2026-03-02',
        '--wait',
        '--json',
      ],
      env,
    );
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { workflowId: string; requested: number; counts: Record<string, number> };
    expect(out.requested).toBe(4);
    expect(out.counts).toMatchObject({ succeeded: 4, failed: 0, skipped: 0 });
    const status = await cli(['backfill', 'status', out.workflowId]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('4 partitions: 4 succeeded · 0 failed · 0 skipped · 0 running · 0 pending');
  });
});
