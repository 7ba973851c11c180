import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SEARCH_ATTRIBUTES } from '../../src/identity/index.js';
import { startBackfill } from '../../src/temporal/backfills.js';
import { connectClient, localTarget } from '../../src/temporal/connection.js';
import { freePort } from '../../src/temporal/devserver.js';
import { onPath, PROJECT_CLI } from '../../src/temporal/install-cli.js';
import type { BackfillProgress } from '../../src/workflows/backfill.js';
import { agentsYaml, unique, waitFor } from '../helpers.js';
import { startProcess, waitForOutput, type Running } from '../processes.js';

/** The CLI the test run's own server came from (global setup installs the project-local one if need be). */
const TEMPORAL_CLI = process.env.TEMPORAL_CLI_PATH || onPath('temporal', process.env.PATH ?? '') || PROJECT_CLI;

/** `KEYWORD_LIST` → `KeywordList`, as `temporal server start-dev --search-attribute` spells types. */
const cliType = (type: string): string =>
  type
    .toLowerCase()
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');

/** A dev server on a SQLite file (WAL), as a persistent single-node server runs, in its own process group. */
function startServer(dbFile: string, port: number): Running {
  return startProcess(
    [
      'server',
      'start-dev',
      '--headless',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--db-filename',
      dbFile,
      '--sqlite-pragma',
      'journal_mode=WAL',
      '--log-level',
      'error',
      ...SEARCH_ATTRIBUTES.flatMap((k) => ['--search-attribute', `${k.name}=${cliType(k.type)}`]),
    ],
    process.env,
    TEMPORAL_CLI,
  );
}

describe('the Temporal server killed -9 mid-backfill', () => {
  const running: Running[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const p of running.splice(0)) p.killGroup();
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  it('finishes all 200 partitions after a restart on the same file, each chain run exactly once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'server-kill-'));
    dirs.push(dir);
    const dbFile = join(dir, 'temporal.db');
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    const agentsFile = join(dir, 'agents.yaml');
    await writeFile(agentsFile, agentsYaml());
    const taskQueue = unique('tq-server-kill');

    let server = startServer(dbFile, port);
    running.push(server);
    const worker = startProcess(['dist/worker.js'], {
      ...process.env,
      TEMPORAL_ADDRESS: address,
      AGENTS_FILE: agentsFile,
      OUT_DIR: join(dir, 'out'),
      STREAM_COLLAB_TASK_QUEUE: taskQueue,
    });
    running.push(worker);
    await waitForOutput(worker, 'worker: task queue');

    const partitions = Array.from({ length: 200 }, (_, i) => `batch=${String(i).padStart(3, '0')}`);
    const payload = { source_tables: ['orders'], target_model: 'fct_server_kill' };
    const target = localTarget(address);
    let conn = await connectClient(target);
    const { workflowId } = await startBackfill(conn.client, {
      flow: 'schema-to-pipeline',
      payload,
      partitions: { list: partitions },
      mode: 'missing',
      maxConcurrent: 20,
      taskQueue,
    });
    const completed = async (): Promise<number> =>
      (await conn.client.workflow.count('WorkflowType="schemaToPipeline" AND ExecutionStatus="Completed"')).count;
    await waitFor('40 chains to complete', async () => (await completed()) >= 40, 90_000);
    await conn.close();

    server.killGroup();
    await server.exited;
    const killedAt = Date.now();
    server = startServer(dbFile, port);
    running.push(server);

    conn = await connectClient(target);
    try {
      const progress: BackfillProgress = await conn.client.workflow.getHandle(workflowId).result();
      console.log(`server kill -9 mid-backfill: all 200 partitions done ${Date.now() - killedAt} ms after the kill`);
      expect(progress.counts).toMatchObject({ succeeded: 200, failed: 0, running: 0, pending: 0 });
      // Exactly one run per partition's chain: none started twice across the server's restart.
      const runs = new Map<string, number>();
      for await (const w of conn.client.workflow.list({ query: 'WorkflowType="schemaToPipeline"' })) {
        runs.set(w.workflowId, (runs.get(w.workflowId) ?? 0) + 1);
      }
      expect(runs.size).toBe(200);
      expect([...runs.values()].filter((n) => n !== 1)).toEqual([]);
      // The worker rode out the outage: no restart needed.
      expect(worker.groupAlive()).toBe(true);
    } finally {
      await conn.close();
    }
  }, 240_000);
});
