/**
 * `npm run bench:backfill`: one backfill of N partitions (default 10,000) of Pattern A with no-op agents, and the
 * same with a hand-written backfill workflow (bench/baseline-workflows.ts: children in a sliding window,
 * continue-as-new), on the dev server and then on the cluster (`npm run cluster`'s topology). Prints wall time,
 * partitions/s, the largest history of any backfill run (the parent must stay under 10,240 events), the peak of
 * chains running at once (≤ --max-concurrent ≤ 500), memory, and both servers side by side.
 * It reports; it asserts nothing.
 *
 *   npm run bench:backfill -- --partitions 10000 --max-concurrent 100 [--server dev|cluster|both]
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { backfillProgress, startBackfill } from '../src/temporal/backfills.js';
import { connectClient } from '../src/temporal/connection.js';
import type { ResolvedServer } from '../src/temporal/devserver.js';
import { baselineActivities } from './baseline-activities.js';
import type { baselineBackfill } from './baseline-workflows.js';
import { CHAIN_PAYLOAD, NOOP_AGENTS } from './replies.js';
import { benchWorker } from './worker.js';
import { serverKinds, startBenchServer, type ServerKind } from './servers.js';

const HISTORY_WARNING = 10_240;

const { values } = parseArgs({
  options: {
    partitions: { type: 'string', default: '10000' },
    'max-concurrent': { type: 'string', default: '100' },
    server: { type: 'string', default: 'both' },
  },
});
const partitions = Number(values.partitions);
const maxConcurrent = Number(values['max-concurrent']);
if (
  !Number.isInteger(partitions) ||
  partitions < 1 ||
  !Number.isInteger(maxConcurrent) ||
  maxConcurrent < 1 ||
  maxConcurrent > 500
) {
  console.error(
    'usage: npm run bench:backfill -- [--partitions N] [--max-concurrent 1-500] [--server dev|cluster|both]',
  );
  process.exit(2);
}
let kinds: ServerKind[];
try {
  kinds = serverKinds(values.server);
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(2);
}

const BASELINE_WORKFLOWS_PATH = fileURLToPath(new URL('./baseline-workflows.ts', import.meta.url));

/** What one backfill took, for the side-by-side table. */
interface Figures {
  readonly wallS: number;
  readonly succeeded: number;
  readonly runs: number;
  readonly maxHistory: number;
}

Runtime.install({ logger: new DefaultLogger('WARN') });
const results: { label: string; ours: Figures; baseline: Figures }[] = [];
// One server at a time, so neither competes with the other for the two cores.
for (const kind of kinds) {
  const server = await startBenchServer(kind);
  const { client, close } = await connectClient(server.target);
  try {
    const ours = await benchOurs(server, client);
    const baseline = await benchBaseline(server, client);
    results.push({ label: server.label, ours, baseline });
  } finally {
    await close();
    await server.stop();
  }
}
console.log(`\nside by side: ${partitions} partitions, --max-concurrent ${maxConcurrent}`);
const rows = [['server', 'side', 'wall s', 'partitions/s', 'succeeded', 'runs', 'largest history']];
for (const r of results) {
  for (const [side, f] of [
    ['ours', r.ours],
    ['baseline', r.baseline],
  ] as const) {
    rows.push([
      r.label,
      side,
      f.wallS.toFixed(1),
      (partitions / f.wallS).toFixed(1),
      String(f.succeeded),
      String(f.runs),
      String(f.maxHistory),
    ]);
  }
}
const widths = rows[0]?.map((_, col) => Math.max(...rows.map((row) => (row[col] ?? '').length))) ?? [];
for (const row of rows) {
  console.log(
    row.map((cell, col) => (col < 2 ? cell.padEnd(widths[col] ?? 0) : cell.padStart(widths[col] ?? 0))).join('  '),
  );
}

/** Our backfill workflow on `server`, with its progress and the figures it always printed. */
async function benchOurs(server: ResolvedServer & { label: string }, client: Client): Promise<Figures> {
  const outDir = await mkdtemp(join(tmpdir(), 'bench-backfill-'));
  const connection = await NativeConnection.connect(server.target.connection);
  const taskQueue = `bench-backfill-${randomUUID().slice(0, 8)}`;
  try {
    const worker = await benchWorker({
      connection,
      namespace: server.target.namespace,
      taskQueue,
      outDir,
      builtins: NOOP_AGENTS,
    });
    return await worker.runUntil(async () => {
      const list = Array.from({ length: partitions }, (_, i) => `p=${String(i).padStart(6, '0')}`);
      const payload = { ...CHAIN_PAYLOAD, target_model: `bench_${randomUUID().slice(0, 8)}` };
      const started = performance.now();
      const { workflowId, handle } = await startBackfill(client, {
        flow: 'schema-to-pipeline',
        payload,
        partitions: { list },
        mode: 'missing',
        maxConcurrent,
        taskQueue,
      });
      let lastPrint = 0;
      for (;;) {
        const done = await Promise.race([
          handle.result().then(() => true),
          new Promise<false>((r) => setTimeout(() => r(false), 5000)),
        ]);
        if (done) break;
        const { progress } = await backfillProgress(client, workflowId, { limit: 0 });
        const c = progress.counts;
        const elapsed = (performance.now() - started) / 1000;
        if (elapsed - lastPrint >= 15) {
          lastPrint = elapsed;
          console.log(
            `  ${elapsed.toFixed(0)}s: ${c.succeeded} succeeded, ${c.running} running, ${c.failed} failed, run ${progress.runs}`,
          );
        }
      }
      const wallS = (performance.now() - started) / 1000;
      const { progress } = await backfillProgress(client, workflowId, { limit: 0 });
      const memory = process.memoryUsage();
      console.log(
        `\nbackfill of ${partitions} partitions (Pattern A, no-op agents), --max-concurrent ${maxConcurrent}, ${server.label}`,
      );
      console.log(`  wall time            ${wallS.toFixed(1)} s`);
      console.log(
        `  partitions/s         ${(partitions / wallS).toFixed(1)}   (Dagster's published queueing rate: about 1 run/s)`,
      );
      console.log(
        `  result               ${progress.counts.succeeded} succeeded, ${progress.counts.failed} failed, ${progress.counts.skipped} skipped of ${progress.requested}`,
      );
      console.log(`  backfill runs        ${progress.runs} (continue-as-new ${progress.runs - 1} times)`);
      console.log(
        `  largest run history  ${progress.maxHistoryLength} events (warning at ${HISTORY_WARNING}: ${progress.maxHistoryLength < HISTORY_WARNING ? 'under' : 'OVER'})`,
      );
      console.log(
        `  peak chains at once  ${progress.peakRunning} (cap ${maxConcurrent}; Temporal's limit 2,000 pending children)`,
      );
      console.log(
        `  memory (client + worker process): rss ${(memory.rss / 2 ** 20).toFixed(0)} MB, heap used ${(memory.heapUsed / 2 ** 20).toFixed(0)} MB`,
      );
      return {
        wallS,
        succeeded: progress.counts.succeeded,
        runs: progress.runs,
        maxHistory: progress.maxHistoryLength,
      };
    });
  } finally {
    await connection.close();
    await rm(outDir, { recursive: true, force: true });
  }
}

/** The hand-written backfill (bench/baseline-workflows.ts) on `server`, with the same no-op activities as ours. */
async function benchBaseline(server: ResolvedServer & { label: string }, client: Client): Promise<Figures> {
  const connection = await NativeConnection.connect(server.target.connection);
  const taskQueue = `bench-backfill-baseline-${randomUUID().slice(0, 8)}`;
  try {
    const worker = await Worker.create({
      connection,
      namespace: server.target.namespace,
      taskQueue,
      activities: baselineActivities,
      workflowBundle: await bundleWorkflowCode({
        workflowsPath: BASELINE_WORKFLOWS_PATH,
        logger: new DefaultLogger('WARN'),
      }),
    });
    return await worker.runUntil(async () => {
      const workflowId = `bench-baseline-backfill-${randomUUID().slice(0, 8)}`;
      const started = performance.now();
      const handle = await client.workflow.start<typeof baselineBackfill>('baselineBackfill', {
        workflowId,
        taskQueue,
        args: [{ partitions, maxConcurrent, payload: CHAIN_PAYLOAD, prefix: workflowId }],
      });
      const succeeded = await handle.result();
      const wallS = (performance.now() - started) / 1000;
      // Every run of the backfill (continue-as-new), from visibility, which may lag a moment behind.
      let runs = 0;
      let maxHistory = 0;
      for await (const run of client.workflow.list({ query: `WorkflowId="${workflowId}"` })) {
        runs++;
        maxHistory = Math.max(maxHistory, run.historyLength);
      }
      console.log(
        `\nhand-written baseline backfill, ${server.label}: ${wallS.toFixed(1)} s, ${(partitions / wallS).toFixed(1)} partitions/s, ` +
          `${succeeded} done, ${runs} runs, largest history ${maxHistory} events`,
      );
      return { wallS, succeeded, runs, maxHistory };
    });
  } finally {
    await connection.close();
  }
}
