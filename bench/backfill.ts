/**
 * `npm run bench:backfill`: one backfill of N partitions (default 10,000) of Pattern A with no-op agents, on
 * one Temporal server. Prints wall time, partitions/s, the largest history of any backfill run (the parent
 * must stay under 10,240 events), the peak of chains running at once (≤ --max-concurrent ≤ 500), and memory.
 * It reports; it asserts nothing.
 *
 *   npm run bench:backfill -- --partitions 10000 --max-concurrent 100
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { parseAgentsFile } from '../src/agents/config.js';
import { AgentRegistry } from '../src/agents/registry.js';
import { backfillProgress, startBackfill } from '../src/temporal/backfills.js';
import { connectClient } from '../src/temporal/connection.js';
import { resolveServer } from '../src/temporal/devserver.js';
import { createWorker, WORKFLOWS_PATH } from '../src/worker.js';
import { AGENTS_YAML, CHAIN_PAYLOAD, NOOP_AGENTS } from './replies.js';

const HISTORY_WARNING = 10_240;

const { values } = parseArgs({
  options: {
    partitions: { type: 'string', default: '10000' },
    'max-concurrent': { type: 'string', default: '100' },
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
  console.error('usage: npm run bench:backfill -- [--partitions N] [--max-concurrent 1-500]');
  process.exit(2);
}

Runtime.install({ logger: new DefaultLogger('WARN') });
const server = await resolveServer({ log: (l) => console.log(`[server] ${l}`) });
const outDir = await mkdtemp(join(tmpdir(), 'bench-backfill-'));
const { client, close } = await connectClient(server.target);
const connection = await NativeConnection.connect(server.target.connection);
const taskQueue = `bench-backfill-${randomUUID().slice(0, 8)}`;
try {
  const worker = await createWorker({
    connection,
    namespace: server.target.namespace,
    taskQueue,
    agents: new AgentRegistry(parseAgentsFile(AGENTS_YAML, 'agents.yaml')),
    outDir,
    builtins: NOOP_AGENTS,
    workflowBundle: await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') }),
  });
  await worker.runUntil(async () => {
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
      `\nbackfill of ${partitions} partitions (Pattern A, no-op agents), --max-concurrent ${maxConcurrent}, ${server.source} server`,
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
  });
} finally {
  await close();
  await connection.close();
  await server.stop();
  await rm(outDir, { recursive: true, force: true });
}
