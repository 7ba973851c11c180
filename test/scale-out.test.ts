import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { withWarehouse } from '../src/agents/builtin/warehouse.js';
import { startChain, waitChain } from '../src/temporal/chains.js';
import { ROOT } from './cli-process.js';
import { agentsYaml, testClient, unique, waitFor } from './helpers.js';
import type { Running } from './processes.js';
import { startWorkerProcess } from './worker-process.js';

const METRICS = {
  metrics: [
    { name: 'daily_revenue', grain: 'day', aggregation: 'sum(amount)' },
    { name: 'customer_ltv', grain: 'customer', window: 'lifetime' },
  ],
};

/** Another process holding the warehouse file open for `ms`, as dbt or a third worker would. */
function holdWarehouse(file: string, ms: number): Promise<void> {
  const script = `import { DuckDBInstance } from '@duckdb/node-api';
const db = await DuckDBInstance.create(process.argv[1]);
process.stdout.write('held\\n');
setTimeout(() => { db.closeSync(); process.exit(0); }, Number(process.argv[2]));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, file, String(ms)], { cwd: ROOT });
  return new Promise((ok, fail) => {
    child.stdout.once('data', () => ok());
    child.once('error', fail);
    child.once('exit', (code) => fail(new Error(`the holder exited (${String(code)}) before it held the file`)));
  });
}

describe('two workers on one host and one OUT_DIR', () => {
  const workers: Running[] = [];
  afterEach(() => {
    for (const w of workers.splice(0)) w.killGroup();
  });

  it('run Pattern B ×6 with every Schema handoff done in one attempt, while another process holds the file', async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'scale-out-'));
    const agentsFile = join(outDir, 'agents.yaml');
    await writeFile(agentsFile, agentsYaml());
    const taskQueue = unique('tq-two');
    const env = { AGENTS_FILE: agentsFile, STREAM_COLLAB_TASK_QUEUE: taskQueue, OUT_DIR: outDir };
    workers.push(startWorkerProcess(env), startWorkerProcess(env));
    for (const w of workers) await waitFor('the worker to poll', () => w.output().includes('worker: task queue'));
    const warehouse = join(outDir, 'warehouse.duckdb');
    await holdWarehouse(warehouse, 2_000);

    const { client, close } = await testClient();
    try {
      const partitions = Array.from({ length: 6 }, (_, i) => `date_key=2026-11-0${String(i + 1)}`);
      const started = await Promise.all(
        partitions.map((partition) => startChain(client, 'analytics-pipeline', METRICS, { taskQueue, partition })),
      );
      const outcomes = await Promise.all(started.map((s) => waitChain(s.handle)));

      expect(outcomes.map((o) => o.status)).toEqual(partitions.map(() => 'COMPLETED'));
      const schemaAttempts = outcomes.map((o) => o.state?.handoffs.find((h) => h.to === 'schema')?.attempts);
      expect(schemaAttempts).toEqual(partitions.map(() => 1));
      const tables = await withWarehouse(warehouse, async (conn) =>
        (await conn.runAndReadAll(`SELECT table_name FROM information_schema.tables ORDER BY 1`))
          .getRowObjectsJS()
          .map((r) => r.table_name),
      );
      expect(tables).toEqual(['fct_daily_revenue', 'mart_customer_ltv']);
      // Both workers are still up: neither holds the file between handoffs, so neither blocks the other.
      expect(workers.map((w) => w.groupAlive())).toEqual([true, true]);
    } finally {
      await close();
    }
  }, 120_000);
});
