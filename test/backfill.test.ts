import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { backfillProgress, startBackfill } from '../src/temporal/backfills.js';
import { defaultChainId } from '../src/identity/index.js';
import { lookupStatuses } from '../src/temporal/statuses.js';
import { pauseSignal, resumeSignal, type BackfillProgress } from '../src/workflows/backfill.js';
import {
  agentsYaml,
  builderReply,
  replyJson,
  startHttpAgent,
  startWorker,
  testClient,
  unique,
  waitFor,
} from './helpers.js';

const ROOT = join(import.meta.dirname, '..');

let client: Client;
let closeClient: () => Promise<void>;
beforeAll(async () => {
  ({ client, close: closeClient } = await testClient());
});
afterAll(async () => closeClient());

/** A payload unique to the test, so chain ids never collide across tests or runs. */
function payload(): Record<string, unknown> {
  return { source_tables: ['orders'], target_model: unique('fct').replace('-', '_') };
}

/** An HTTP Builder that records, per partition, how many handoffs it answered with success. */
async function builderAgent(behaviour: { failPartition?: string; delayMs?: number } = {}) {
  const successes = new Map<string, number>();
  const agent = await startHttpAgent((req, _n, res) => {
    const partition = String(req.body.partition);
    const answer = (): void => {
      if (behaviour.failPartition === partition)
        return replyJson(res, 422, { error: `no source data for ${partition}` });
      successes.set(partition, (successes.get(partition) ?? 0) + 1);
      return replyJson(res, 200, builderReply(req));
    };
    if (behaviour.delayMs !== undefined) setTimeout(answer, behaviour.delayMs);
    else answer();
  });
  return { ...agent, successes, behaviour };
}

async function result(id: string): Promise<BackfillProgress> {
  await client.workflow.getHandle(id).result();
  return (await backfillProgress(client, id)).progress;
}

const DAYS = ['date_key=2026-11-01', 'date_key=2026-11-02', 'date_key=2026-11-03'];

describe('backfill', () => {
  it('reports a failed partition with its error; retry-failed after the fix completes it; each partition succeeds once', async () => {
    const agent = await builderAgent({ failPartition: 'date_key=2026-11-02' });
    const worker = await startWorker({ agents: agentsYaml({ builder: `transport: http\nurl: ${agent.url}` }) });
    try {
      const input = payload();
      const options = {
        flow: 'schema-to-pipeline' as const,
        payload: input,
        partitions: { range: { from: '2026-11-01', to: '2026-11-03', grain: 'day' as const } },
        mode: 'missing' as const,
        maxConcurrent: 8,
        taskQueue: worker.taskQueue,
      };
      const { workflowId } = await startBackfill(client, options);
      const first = await result(workflowId);
      expect(first.counts).toEqual({ pending: 0, running: 0, succeeded: 2, failed: 1, skipped: 0 });
      expect(first.partitions.find((p) => p.status === 'failed')).toMatchObject({
        partition: 'date_key=2026-11-02',
        detail: expect.stringContaining(
          'AgentRejected: handoff 2 (stream → builder) failed: builder rejected the handoff with 422: {"error":"no source data for date_key=2026-11-02"}',
        ),
      });

      agent.behaviour.failPartition = undefined;
      await startBackfill(client, { ...options, mode: 'failed', id: workflowId });
      const second = await result(workflowId);
      expect(second.counts).toEqual({ pending: 0, running: 0, succeeded: 1, failed: 0, skipped: 2 });
      expect(second.complete).toBe(3);
      expect(second.counts.succeeded + second.counts.failed + second.counts.skipped).toBe(second.requested);
      expect(Object.fromEntries(agent.successes)).toEqual(Object.fromEntries(DAYS.map((d) => [d, 1])));
      const ids = DAYS.map((d) => defaultChainId('schema-to-pipeline', input, d));
      expect(await lookupStatuses(client, ids)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);

      // Re-submitting the completed backfill in missing mode starts no chain.
      await startBackfill(client, { ...options, id: workflowId });
      const third = await result(workflowId);
      expect(third.counts).toEqual({ pending: 0, running: 0, succeeded: 0, failed: 0, skipped: 3 });
      expect(third.partitions.map((p) => p.detail)).toEqual([
        'succeeded earlier',
        'succeeded earlier',
        'succeeded earlier',
      ]);
      expect([...agent.successes.values()]).toEqual([1, 1, 1]);
    } finally {
      await worker.stop();
      await agent.close();
    }
  });

  it('pause stops new partitions from starting, resume goes on, cancel leaves no chain running', async () => {
    const agent = await builderAgent({ delayMs: 400 });
    const worker = await startWorker({ agents: agentsYaml({ builder: `transport: http\nurl: ${agent.url}` }) });
    try {
      const input = payload();
      const partitions = Array.from({ length: 8 }, (_, i) => `p${i}`);
      const { workflowId, handle } = await startBackfill(client, {
        flow: 'schema-to-pipeline',
        payload: input,
        partitions: { list: partitions },
        mode: 'all',
        maxConcurrent: 2,
        taskQueue: worker.taskQueue,
      });
      await waitFor('two chains to succeed', () => agent.successes.size >= 2);
      await handle.signal(pauseSignal);
      await waitFor(
        'the running chains to drain',
        async () => (await backfillProgress(client, workflowId)).progress.counts.running === 0,
      );
      const atPause = agent.requests.length;
      await new Promise((r) => setTimeout(r, 1500));
      expect(agent.requests.length).toBe(atPause);
      expect((await backfillProgress(client, workflowId)).progress.state).toBe('paused');

      await handle.signal(resumeSignal);
      await waitFor('a third chain to succeed after resume', () => agent.successes.size >= 3);
      await waitFor(
        'chains running again',
        async () => (await backfillProgress(client, workflowId)).progress.counts.running > 0,
      );
      await handle.cancel();
      await expect(handle.result()).rejects.toThrow();
      const ids = partitions.map((p) => defaultChainId('schema-to-pipeline', input, p));
      const statuses = await lookupStatuses(client, ids);
      expect(statuses).not.toContain('RUNNING');
      expect(statuses.filter((s) => s === 'COMPLETED').length).toBeGreaterThanOrEqual(3);
      expect(statuses).toContain('NOT_FOUND');
    } finally {
      await worker.stop();
      await agent.close();
    }
  });
});

describe('backfill surviving its worker', () => {
  let agentsFile: string;
  let worker: ChildProcess | undefined;
  const taskQueue = unique('tq-kill');

  /** A real worker process, as `npm run worker` runs it. */
  function startWorkerProcess(): ChildProcess {
    return spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'worker.ts')], {
      cwd: ROOT,
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        AGENTS_FILE: agentsFile,
        STREAM_COLLAB_TASK_QUEUE: taskQueue,
        OUT_DIR: join(tmpdir(), taskQueue),
      },
      stdio: 'ignore',
    });
  }

  it('finishes after a SIGKILL mid-backfill, with no partition succeeding twice', async () => {
    const agent = await builderAgent({ delayMs: 300 });
    const dir = await mkdtemp(join(tmpdir(), 'kill-'));
    agentsFile = join(dir, 'agents.yaml');
    await writeFile(agentsFile, agentsYaml({ builder: `transport: http\nurl: ${agent.url}\ntimeout: 1s` }));
    try {
      const input = payload();
      const partitions = Array.from({ length: 10 }, (_, i) => `date_key=2026-10-${String(i + 10)}`);
      worker = startWorkerProcess();
      const { workflowId } = await startBackfill(client, {
        flow: 'schema-to-pipeline',
        payload: input,
        partitions: { list: partitions },
        mode: 'missing',
        maxConcurrent: 2,
        taskQueue,
      });
      await waitFor('three chains to succeed', () => agent.successes.size >= 3, 60_000);
      worker.kill('SIGKILL');
      await new Promise((r) => worker?.once('exit', r));
      const before = agent.successes.size;
      worker = startWorkerProcess();
      const final = await result(workflowId);
      expect(before).toBeLessThan(10);
      expect(final.counts).toEqual({ pending: 0, running: 0, succeeded: 10, failed: 0, skipped: 0 });
      const ids = partitions.map((p) => defaultChainId('schema-to-pipeline', input, p));
      // Each partition's chain ran exactly once: one run under its id, and it completed.
      for (const id of ids) {
        await waitFor(`${id} in visibility`, async () => (await client.workflow.count(`WorkflowId="${id}"`)).count > 0);
        expect((await client.workflow.count(`WorkflowId="${id}"`)).count).toBe(1);
      }
      expect(await lookupStatuses(client, ids)).toEqual(ids.map(() => 'COMPLETED'));
    } finally {
      worker?.kill('SIGKILL');
      await agent.close();
    }
  }, 120_000);
});
