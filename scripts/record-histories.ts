import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { parseAgentsFile } from '../src/agents/config.js';
import { AgentRegistry } from '../src/agents/registry.js';
import { readFlowInput } from '../src/cli/input.js';
import { DESIGN_FLOW_NAMES, type FlowName } from '../src/flows.js';
import { startChain, waitChain } from '../src/temporal/chains.js';
import { connectClient } from '../src/temporal/connection.js';
import { connectWorker } from '../src/temporal/worker-connection.js';
import { resolveServer } from '../src/temporal/devserver.js';
import { createWorker } from '../src/worker.js';

/**
 * `npm run record-histories -- <label>`: runs real chains and writes their histories to
 * test/fixtures/histories/<label>/, where the replay test replays every recorded generation against the
 * current workflow code. Record a new generation when the workflows change (guarded with `patched()`);
 * never overwrite an old one: old histories stand for chains still in flight.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const label = process.argv[2];
if (label === undefined || !/^v\d+$/.test(label)) {
  console.error('usage: npm run record-histories -- v<N>   (a new generation folder under test/fixtures/histories)');
  process.exit(2);
}
const OUT = join(ROOT, 'test', 'fixtures', 'histories', label);

Runtime.install({ logger: new DefaultLogger('WARN') });
const server = await resolveServer({ log: console.log });
const { client, close } = await connectClient(server.target);
const connection = await connectWorker(server.target);
// An HTTP Builder that fails twice (503) before answering, so one history holds retries.
let calls = 0;
const http = createServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => {
    calls += 1;
    if (calls <= 2) {
      res.writeHead(503).end('{"error":"warming up"}');
      return;
    }
    const envelope = JSON.parse(body) as { payload: { connector_requirements: { api: string; method: string }[] } };
    const connectors = envelope.payload.connector_requirements.map((r) => ({
      name: `${r.api}_connector`,
      api: r.api,
      table: r.api.replace(/_api$/, ''),
      method: r.method,
      extraction_sql: 'SELECT 1',
    }));
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ connectors }));
  });
});
await new Promise<void>((ok) => http.listen(0, '127.0.0.1', ok));
const address = http.address();
const port = typeof address === 'object' && address !== null ? address.port : 0;

const yaml = (builder: string): string =>
  `defaults:\n  retry: { initial_interval: 100ms }\nagents:\n  stream: { transport: builtin }\n  builder: ${builder}\n  schema: { transport: builtin }\n  canvas: { transport: builtin }\n  radar: { transport: builtin }\n  scaffold: { transport: builtin }\n`;

async function record(name: string, flow: FlowName, agents: string, payload?: Record<string, unknown>): Promise<void> {
  const taskQueue = `record-${name}`;
  const worker = await createWorker({
    connection,
    namespace: server.target.namespace,
    taskQueue,
    agents: new AgentRegistry(parseAgentsFile(agents, 'agents.yaml')),
    outDir: join(ROOT, 'out', 'record-histories'),
  });
  const input = payload ?? (await readFlowInput(flow, join(ROOT, 'examples', `${flow}.yaml`)));
  await worker.runUntil(async () => {
    const started = await startChain(client, flow, input, {
      id: `record/${name}`,
      taskQueue,
      partition: 'date_key=2026-11-01',
    });
    const outcome = await waitChain(started.handle);
    const history = await started.handle.fetchHistory();
    await writeFile(join(OUT, `${name}.json`), historyToJSON(history));
    console.log(`${name}: ${outcome.status}, ${history.events?.length ?? 0} events`);
  });
}

try {
  await mkdir(OUT, { recursive: false });
  // The design chains; the pipelines record theirs with `npm run record-pipeline-histories`.
  for (const flow of DESIGN_FLOW_NAMES) await record(flow, flow, yaml('{ transport: builtin }'));
  await record(
    'http-retries',
    'schema-to-pipeline',
    yaml(`{ transport: http, url: "http://127.0.0.1:${port}/handoff" }`),
  );
  await record('contract-violation', 'analytics-pipeline', yaml('{ transport: builtin }'), {
    metrics: [{ name: 'x' }],
  });
} finally {
  http.close();
  await close();
  await connection.close();
  await server.stop();
}
