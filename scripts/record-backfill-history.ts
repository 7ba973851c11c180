import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { bundleWorkflowCode, DefaultLogger, Runtime } from '@temporalio/worker';
import { parseAgentsFile } from '../src/agents/config.js';
import { AgentRegistry } from '../src/agents/registry.js';
import { field } from '../src/field.js';
import { backfillProgress, startBackfill } from '../src/temporal/backfills.js';
import { startChain, waitChain } from '../src/temporal/chains.js';
import { connectClient } from '../src/temporal/connection.js';
import { resolveServer } from '../src/temporal/devserver.js';
import { connectWorker } from '../src/temporal/worker-connection.js';
import { createWorker } from '../src/worker.js';
import { scheduleWorkflowId } from '../src/identity/index.js';
import { scheduleOptions } from '../src/temporal/schedules.js';
import { pauseSignal, resumeSignal } from '../src/workflows/backfill.js';
import type { scheduledChain } from '../src/workflows/scheduled-chain.js';

/**
 * `npx tsx scripts/record-backfill-history.ts <name> [workflows path]`: records, to
 * test/fixtures/backfill-histories/ (replayed by test/backfill-replay.test.ts), either a backfill in which the
 * server refuses one partition's start (`v<N>-refused-start`: the backfill reads its statuses, is paused, a
 * slow hand run of the middle partition starts, and the backfill resumes), or, for a name ending in
 * `-scheduled`, two scheduled runs of one monthly partition: `…-scheduled-ran` starts the chain,
 * `…-scheduled-refused` finds it done. Pass the workflows of an older checkout to record what runs in flight
 * were started with; never overwrite a recorded file.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const [name, workflowsPath = join(ROOT, 'src', 'workflows', 'index.ts')] = process.argv.slice(2);
if (name === undefined || !/^v\d+-(refused-start|scheduled)$/.test(name)) {
  console.error('usage: npx tsx scripts/record-backfill-history.ts v<N>-refused-start|v<N>-scheduled [workflows]');
  process.exit(2);
}
const PARTITIONS = ['date_key=2026-11-01', 'date_key=2026-11-02', 'date_key=2026-11-03'];
const SLOW = PARTITIONS[1];

Runtime.install({ logger: new DefaultLogger('WARN') });
const server = await resolveServer({ log: console.log });
const { client, close } = await connectClient(server.target);
const connection = await connectWorker(server.target);
// A Builder that answers the middle partition after 3 s, so its hand run is still running when the backfill resumes.
const http = createServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => {
    const envelope: unknown = JSON.parse(body);
    const list = field(field(envelope, 'payload'), 'connector_requirements');
    const connectors = (Array.isArray(list) ? list : []).map((r: unknown) => {
      const api = String(field(r, 'api'));
      return {
        name: `${api}_connector`,
        api,
        table: api,
        method: String(field(r, 'method')),
        extraction_sql: 'SELECT 1',
      };
    });
    const answer = (): void => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ connectors }));
    };
    setTimeout(answer, field(envelope, 'partition') === SLOW ? 3000 : 0);
  });
});
await new Promise<void>((ok) => http.listen(0, '127.0.0.1', ok));
const address = http.address();
const url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/handoff`;
const agents = ['stream', 'schema', 'canvas', 'radar', 'scaffold'].map((a) => `  ${a}: { transport: builtin }\n`);
const agentsFile = `agents:\n${agents.join('')}  builder: { transport: http, url: "${url}" }\n`;

const taskQueue = `record-${name}`;
const { code } = await bundleWorkflowCode({ workflowsPath });
const worker = await createWorker({
  connection,
  namespace: server.target.namespace,
  taskQueue,
  agents: new AgentRegistry(parseAgentsFile(agentsFile, 'agents.yaml')),
  outDir: join(ROOT, 'out', 'record-histories'),
  workflowBundle: { code },
});
const payload = { source_tables: ['orders'], target_model: 'fct_refused' };
const dir = join(ROOT, 'test', 'fixtures', 'backfill-histories');
await mkdir(dir, { recursive: true });

/** Two runs of one schedule for one monthly partition: the first runs the chain, the second is refused. */
async function recordScheduled(): Promise<void> {
  const id = `record-${name}-${Date.now()}`;
  await client.schedule.create(
    scheduleOptions({
      id,
      flow: 'schema-to-pipeline',
      payload: { ...payload, target_model: 'fct_scheduled' },
      cron: '0 2 * * *',
      overlap: 'allow-all',
      pauseOnFailure: false,
      partition: { grain: 'month', lag: 0 },
      taskQueue,
    }),
  );
  try {
    for (const [day, what] of [
      ['02', 'ran'],
      ['03', 'refused'],
    ] as const) {
      const at = new Date(`2026-11-${day}T02:00:00Z`);
      await client.schedule
        .getHandle(id)
        .backfill({ start: at, end: new Date(at.getTime() + 1000), overlap: 'ALLOW_ALL' });
      const handle = client.workflow.getHandle<typeof scheduledChain>(
        `${scheduleWorkflowId(id)}-2026-11-${day}T02:00:00Z`,
      );
      for (;;) {
        const found = await handle.describe().then(
          () => true,
          () => false,
        );
        if (found) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      console.log(JSON.stringify(await handle.result()));
      await writeFile(join(dir, `${name}-${what}.json`), historyToJSON(await handle.fetchHistory()));
    }
  } finally {
    await client.schedule.getHandle(id).delete();
  }
}

try {
  await worker.runUntil(async () => {
    if (name.endsWith('-scheduled')) return recordScheduled();
    const { handle, workflowId } = await startBackfill(client, {
      flow: 'schema-to-pipeline',
      payload,
      partitions: { list: PARTITIONS },
      mode: 'missing',
      maxConcurrent: 1,
      id: `record/${name}/${Date.now()}`,
      taskQueue,
    });
    await handle.signal(pauseSignal);
    for (;;) {
      const { events } = await handle.fetchHistory();
      if ((events ?? []).some((e) => e.activityTaskCompletedEventAttributes != null)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const hand = await startChain(client, 'schema-to-pipeline', payload, { partition: SLOW, taskQueue });
    await handle.signal(resumeSignal);
    await handle.result();
    const { progress } = await backfillProgress(client, workflowId);
    console.log(progress.partitions.map((p) => `${p.partition}: ${p.status} ${p.detail ?? ''}`).join('\n'));
    await waitChain(hand.handle);
    await writeFile(join(dir, `${name}.json`), historyToJSON(await handle.fetchHistory()));
  });
} finally {
  http.close();
  await connection.close();
  await close();
  await server.stop();
}
