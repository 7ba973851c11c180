import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { AgentRegistry } from './agents/registry.js';
import { readFlowInput, flowArg } from './cli/input.js';
import { chainReport } from './cli/render.js';
import { DESIGN_FLOW_NAMES, type FlowName } from './flows.js';
import { DEMO_ETL_DAYS, runDemoEtl, startDemoSource } from './demo-etl.js';
import { openWorkerEventStore } from './events/config.js';
import { runEventsDemo } from './events/demo.js';
import { DEFAULT_AGENTS_FILE, TASK_QUEUE } from './identity/index.js';
import { startChain, waitChain } from './temporal/chains.js';
import { connectClient } from './temporal/connection.js';
import { connectWorker } from './temporal/worker-connection.js';
import { resolveServer } from './temporal/devserver.js';
import { uiLink } from './temporal/ui.js';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { codecConfigFromEnv } from './temporal/data-converter.js';
import { RedactingLogger } from './temporal/redacting-logger.js';
import { createWorker } from './worker.js';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

/**
 * `npm run demo`: the five patterns end to end on an embedded dev server (or TEMPORAL_ADDRESS), with the
 * built-in agents, artifacts under --out. Stops everything it started unless --keep.
 */
async function demo(): Promise<number> {
  const { values } = parseArgs({
    options: {
      keep: { type: 'boolean', default: false },
      out: { type: 'string', default: join('out', 'demo') },
      agents: { type: 'string', default: process.env.AGENTS_FILE ?? DEFAULT_AGENTS_FILE },
    },
  });
  const outDir = resolve(values.out);
  // The demo prints its own story; the SDK speaks up only for warnings.
  // With a codec key, failure messages are encrypted in history; the log keeps them out too (as the worker's).
  const logger = new DefaultLogger('WARN');
  Runtime.install({ logger: codecConfigFromEnv().keys.length > 0 ? new RedactingLogger(logger) : logger });
  const agents = await AgentRegistry.fromFile(values.agents);
  const source = await startDemoSource((l) => console.log(l));
  const server = await resolveServer({ ui: true, log: (l) => console.log(l) }).catch(async (err: unknown) => {
    await source.close();
    throw err;
  });
  const connection = await connectWorker(server.target);
  const { client, close } = await connectClient(server.target);
  let worker: Awaited<ReturnType<typeof createWorker>> | undefined;
  let running: Promise<void> | undefined;
  const events = await openWorkerEventStore(process.env, outDir);
  try {
    worker = await createWorker({
      connection,
      namespace: server.target.namespace,
      agents,
      outDir,
      eventStore: events.db,
    });
    running = worker.run();
    console.log(`worker running; artifacts under ${outDir}\n`);
    const files = (await readdir(join(ROOT, 'examples'))).filter((f) => f.endsWith('.yaml'));
    let failed = 0;
    let metricsFrom: string | undefined;
    const link = (workflowId: string, runId: string): string | undefined =>
      server.uiUrl !== undefined ? uiLink(server.uiUrl, server.target.namespace, workflowId, runId) : undefined;
    // The pipeline runs after the designs it builds on (Pattern B's metrics) and before Pattern D, whose checks
    // then find real marts.
    const order: FlowName[] = [...DESIGN_FLOW_NAMES];
    order.splice(order.indexOf('pipeline-testing'), 0, 'warehouse-etl');
    for (const flowName of order) {
      const file = files.find((f) => f === `${flowName}.yaml`);
      if (file === undefined) continue;
      const flow = flowArg(flowName);
      const payload = await readFlowInput(flow, join(ROOT, 'examples', file));
      if (flow === 'warehouse-etl') {
        const { metrics: _inline, ...rest } = payload;
        const etlInput = metricsFrom !== undefined ? { ...rest, metrics_from: metricsFrom } : payload;
        failed += await runDemoEtl(client, etlInput, link, (report) => console.log(`${report}\n`));
        continue;
      }
      const started = await startChain(client, flow, payload);
      const outcome = await waitChain(started.handle);
      if (outcome.status !== 'COMPLETED') failed += 1;
      else if (flow === 'analytics-pipeline') metricsFrom = started.workflowId;
      console.log(chainReport(started.workflowId, outcome, link(started.workflowId, started.runId)));
      console.log('');
    }
    failed += await runEventsDemo(client, events.db, {
      sourceUrl: source.url,
      taskQueue: TASK_QUEUE,
      log: (l) => console.log(l),
    });
    console.log(
      failed === 0
        ? `every chain completed (${order.length - 1} patterns, warehouse-etl over ${DEMO_ETL_DAYS} days, event sourcing); artifacts under ${outDir}`
        : `${failed} chain(s) failed; artifacts under ${outDir}`,
    );
    if (values.keep) {
      console.log(
        `--keep: server ${server.target.connection.address}${server.uiUrl !== undefined ? `, Web UI ${server.uiUrl}` : ''} and the worker stay up; Ctrl-C to stop`,
      );
      // The CLI in another terminal finds this server (and its UI, for the links it prints) through these.
      console.log(
        `  in another terminal: export TEMPORAL_ADDRESS=${server.target.connection.address}${server.uiUrl !== undefined ? ` TEMPORAL_UI_URL=${server.uiUrl}` : ''}`,
      );
      await new Promise<void>((done) => {
        process.once('SIGINT', done);
        process.once('SIGTERM', done);
      });
    }
    return failed === 0 ? 0 : 1;
  } finally {
    if (worker !== undefined && worker.getState() === 'RUNNING') worker.shutdown();
    await running?.catch(() => undefined);
    await events.close();
    await close();
    await connection.close();
    await server.stop();
    await source.close();
  }
}

demo().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
