import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultChainId, partitionOf, StreamPartition } from '../../src/identity/index.js';
import { backfillProgress, startBackfill, type StartBackfillOptions } from '../../src/temporal/backfills.js';
import { scheduleOptions } from '../../src/temporal/schedules.js';
import { pauseSignal, resumeSignal, type BackfillProgress } from '../../src/workflows/backfill.js';
import type { scheduledChain } from '../../src/workflows/scheduled-chain.js';
import { eventually, startWorker, testClient, unique, waitFor, type TestWorker } from '../helpers.js';

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

/** 30 days: the range of the fault run that found 9 partitions run twice. */
const RANGE = { from: '2026-10-01', to: '2026-10-30', grain: 'day' as const };
const PARTITIONS = 30;

function options(model: string, maxConcurrent: number): StartBackfillOptions {
  return {
    flow: 'schema-to-pipeline',
    payload: { source_tables: ['orders'], target_model: model },
    partitions: { range: RANGE },
    mode: 'missing',
    maxConcurrent,
    taskQueue: worker.taskQueue,
  };
}

async function finished(id: string): Promise<BackfillProgress> {
  await client.workflow.getHandle(id).result();
  return (await backfillProgress(client, id)).progress;
}

/**
 * Every run of every chain of this model, counted per workflow id from visibility (each run is one
 * execution, whether it completed, failed or still runs), once all of them have closed.
 */
async function runsPerChain(model: string): Promise<Map<string, number>> {
  const query = `WorkflowType = "schemaToPipeline" AND WorkflowId STARTS_WITH "schema-to-pipeline/${model}/"`;
  const list = async (): Promise<{ runs: Map<string, number>; open: number }> => {
    const runs = new Map<string, number>();
    let open = 0;
    for await (const wf of client.workflow.list({ query })) {
      runs.set(wf.workflowId, (runs.get(wf.workflowId) ?? 0) + 1);
      if (wf.status.name === 'RUNNING') open += 1;
    }
    return { runs, open };
  };
  const { runs } = await eventually(list, (r) => r.open === 0 && r.runs.size >= PARTITIONS, 20_000, 250);
  return runs;
}

describe('two backfills of one range under two ids, mode missing', () => {
  it('run concurrently: every partition chain runs exactly once', async () => {
    const model = unique('fct_conc').replace('-', '_');
    const [a, b] = await Promise.all([
      startBackfill(client, { ...options(model, 8), id: unique('backfill-a') }),
      startBackfill(client, { ...options(model, 8), id: unique('backfill-b') }),
    ]);
    const [pa, pb] = await Promise.all([finished(a.workflowId), finished(b.workflowId)]);

    const runs = await runsPerChain(model);
    expect(runs.size).toBe(PARTITIONS);
    expect([...runs.values()].filter((n) => n !== 1)).toEqual([]);
    // Between them the two backfills ran each partition once; the other skipped it.
    expect(pa.counts.succeeded + pb.counts.succeeded).toBe(PARTITIONS);
    expect(pa.counts.failed + pb.counts.failed).toBe(0);
    expect(pa.counts.skipped + pb.counts.skipped).toBe(PARTITIONS);
    const why = new Set(
      [...pa.partitions, ...pb.partitions].flatMap((p) => (p.detail === undefined ? [] : [p.detail])),
    );
    expect([...why].filter((d) => d !== 'succeeded earlier' && d !== 'already running (started elsewhere)')).toEqual(
      [],
    );
  });

  it('the second decides after the first has run everything: it starts nothing and says why', async () => {
    const model = unique('fct_late').replace('-', '_');
    // B reads the chain statuses (none has run yet) and is held by a pause before it starts any chain.
    const b = await startBackfill(client, { ...options(model, 8), id: unique('backfill-b') });
    await b.handle.signal(pauseSignal);
    await waitFor('backfill B to read the statuses of its partitions', async () => {
      const { events } = await b.handle.fetchHistory();
      return (events ?? []).some((e) => e.activityTaskCompletedEventAttributes != null);
    });
    // A runs the whole range meanwhile.
    const a = await startBackfill(client, { ...options(model, 8), id: unique('backfill-a') });
    const pa = await finished(a.workflowId);
    expect(pa.counts).toEqual({ pending: 0, running: 0, succeeded: PARTITIONS, failed: 0, skipped: 0 });

    await b.handle.signal(resumeSignal);
    const pb = await finished(b.workflowId);
    expect(pb.counts).toEqual({ pending: 0, running: 0, succeeded: 0, failed: 0, skipped: PARTITIONS });
    expect(new Set(pb.partitions.map((p) => p.detail))).toEqual(new Set(['succeeded earlier']));
    expect(pb.complete).toBe(PARTITIONS);

    const runs = await runsPerChain(model);
    expect(runs.size).toBe(PARTITIONS);
    expect([...runs.values()].filter((n) => n !== 1)).toEqual([]);
  });
});

describe('a schedule and a backfill over the same days', () => {
  it('run at once: every partition runs once, under its business key', async () => {
    // A worker of its own, so every chain on its task queue is this test's.
    const own = await startWorker();
    const id = unique('sched-vs-backfill');
    const model = unique('fct_sched').replace('-', '_');
    const payload = { source_tables: ['orders'], target_model: model };
    const days = Array.from({ length: 10 }, (_, i) => partitionOf(new Date(Date.UTC(2026, 8, 1 + i)), 'day'));
    try {
      await client.schedule.create(
        scheduleOptions({
          id,
          flow: 'schema-to-pipeline',
          payload,
          cron: '0 2 * * *',
          overlap: 'allow-all',
          pauseOnFailure: false,
          partition: { grain: 'day', lag: 1 },
          taskQueue: own.taskQueue,
        }),
      );
      // The runs scheduled for 09-02 … 09-11 at 02:00 cover 09-01 … 09-10, as does the backfill.
      const [, backfill] = await Promise.all([
        client.schedule.getHandle(id).backfill({
          start: new Date('2026-09-02T00:00:00Z'),
          end: new Date('2026-09-11T23:59:59Z'),
          overlap: 'ALLOW_ALL',
        }),
        startBackfill(client, {
          ...options(model, 8),
          partitions: { range: { from: '2026-09-01', to: '2026-09-10', grain: 'day' } },
          taskQueue: own.taskQueue,
        }),
      ]);
      const progress = await finished(backfill.workflowId);
      const launchers = await eventually(
        async () => {
          const outcomes: string[] = [];
          const query = `TemporalScheduledById = "${id}" AND ExecutionStatus = "Completed"`;
          for await (const wf of client.workflow.list({ query }))
            outcomes.push(
              await client.workflow
                .getHandle<typeof scheduledChain>(wf.workflowId)
                .result()
                .then((r) => r.outcome),
            );
          return outcomes;
        },
        (outcomes) => outcomes.length >= days.length,
        30_000,
        250,
      );
      expect(launchers).toHaveLength(days.length);

      const runs = new Map<string, string[]>();
      const query = `WorkflowType = "schemaToPipeline" AND TaskQueue = "${own.taskQueue}"`;
      for await (const wf of client.workflow.list({ query })) {
        const partition = wf.typedSearchAttributes.get(StreamPartition) ?? '?';
        runs.set(partition, [...(runs.get(partition) ?? []), wf.workflowId]);
      }
      expect(Object.fromEntries(runs)).toEqual(
        Object.fromEntries(days.map((d) => [d, [defaultChainId('schema-to-pipeline', payload, d)]])),
      );
      // Between them, the launchers and the backfill started each partition's chain once.
      expect(launchers.filter((o) => o === 'ran').length + progress.counts.succeeded).toBe(days.length);
    } finally {
      await client.schedule.getHandle(id).delete();
      await own.stop();
    }
  });
});
