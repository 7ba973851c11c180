import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { AgentRegistry } from '../src/agents/registry.js';
import { readFlowInput } from '../src/cli/input.js';
import { generateJaffle, loadJaffle } from '../src/etl/jaffle.js';
import { startPgliteSource, withSource } from '../src/etl/source.js';
import { startChain, waitChain } from '../src/temporal/chains.js';
import { connectClient } from '../src/temporal/connection.js';
import { resolveServer } from '../src/temporal/devserver.js';
import { connectWorker } from '../src/temporal/worker-connection.js';
import { createWorker } from '../src/worker.js';

/**
 * `npm run record-pipeline-histories -- <label>`: runs warehouse-etl for real (a PGlite shop, dbt, DuckDB) — one
 * partition that completes and one whose check fails — and writes their histories to
 * test/fixtures/pipeline-histories/<label>/, which the replay test replays against the current workflow code.
 * Record a new generation when the pipeline's workflow changes (guarded with `patched()`); never overwrite one.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const label = process.argv[2];
if (label === undefined || !/^v\d+$/.test(label)) {
  console.error('usage: npm run record-pipeline-histories -- v<N>');
  process.exit(2);
}
const OUT = join(ROOT, 'test', 'fixtures', 'pipeline-histories', label);

Runtime.install({ logger: new DefaultLogger('WARN') });
const source = await startPgliteSource();
const outDir = await mkdtemp(join(tmpdir(), 'record-etl-'));
const server = await resolveServer({ log: console.log });
const { client, close } = await connectClient(server.target);
const connection = await connectWorker(server.target);
try {
  await withSource(source.url, async (c) => loadJaffle(c, await generateJaffle(1), { days: 5, endsOn: '2026-11-05' }));
  const worker = await createWorker({
    connection,
    namespace: server.target.namespace,
    taskQueue: 'record-pipeline-histories',
    agents: await AgentRegistry.fromFile(join(ROOT, 'agents.yaml')),
    outDir,
    env: { ...process.env, SOURCE_DATABASE_URL: source.url },
  });
  const input = await readFlowInput('warehouse-etl', join(ROOT, 'examples', 'warehouse-etl.yaml'));
  const failing = { ...input, checks: [{ type: 'data_quality', table: 'fct_sales', checks: ['row_count > 100000'] }] };
  await mkdir(OUT, { recursive: true });
  await worker.runUntil(async () => {
    for (const [name, payload, partition] of [
      ['warehouse-etl', input, 'date_key=2026-11-04'],
      ['warehouse-etl-check-failed', failing, 'date_key=2026-11-05'],
    ] as const) {
      const started = await startChain(client, 'warehouse-etl', payload, {
        id: `record-${name}`,
        taskQueue: 'record-pipeline-histories',
        partition,
      });
      const outcome = await waitChain(started.handle);
      console.log(`${name}: ${outcome.status}${outcome.failure !== undefined ? ` (${outcome.failure.type})` : ''}`);
      await writeFile(join(OUT, `${name}.json`), historyToJSON(await started.handle.fetchHistory()));
    }
  });
} finally {
  await close();
  await connection.close();
  await server.stop();
  await source.close();
  await rm(outDir, { recursive: true, force: true });
}
