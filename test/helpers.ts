import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection, WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import type { BuiltinAgents } from '../src/agents/builtin/index.js';
import { parseAgentsFile } from '../src/agents/config.js';
import { AgentRegistry } from '../src/agents/registry.js';
import { dataConverterFromEnv } from '../src/temporal/data-converter.js';
import { startChain, waitChain, type ChainOutcome } from '../src/temporal/chains.js';
import type { EventDb } from '../src/events/db.js';
import { createWorker } from '../src/worker.js';

let runtimeInstalled = false;

/** Keeps the SDK's logs out of test output: failures under test are expected, and asserted on. */
export function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger('ERROR') });
}

/** A unique suffix for task queues and workflow ids, so tests never see each other's runs. */
export function unique(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** A client with the project's data converter, built from `env` like the CLI's (codec keys, payload store). */
export async function testClient(
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ client: Client; close: () => Promise<void> }> {
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  return {
    client: new Client({
      connection,
      namespace: inject('temporalNamespace'),
      dataConverter: dataConverterFromEnv(env),
    }),
    close: () => connection.close(),
  };
}

export interface TestWorker {
  readonly taskQueue: string;
  readonly outDir: string;
  readonly worker: Worker;
  stop(): Promise<void>;
}

/** An agents.yaml for tests: everything built-in unless overridden. */
export function agentsYaml(
  overrides: Record<string, string> = {},
  defaults = 'defaults:\n  retry: { initial_interval: 100ms, max_interval: 1s }\n',
): string {
  const agents = ['stream', 'builder', 'schema', 'canvas', 'radar', 'scaffold'];
  const lines = agents.map(
    (a) =>
      `  ${a}:\n${(overrides[a] ?? 'transport: builtin')
        .split('\n')
        .map((l) => `    ${l}`)
        .join('\n')}`,
  );
  return `${defaults}agents:\n${lines.join('\n')}\n`;
}

/** A real worker on its own task queue, with the bundle built once in global setup. */
export async function startWorker(
  options: {
    agents?: string;
    /** A registry of your own (e.g. one following a file) instead of one parsed from `agents`. */
    registry?: AgentRegistry;
    builtins?: BuiltinAgents;
    outDir?: string;
    env?: NodeJS.ProcessEnv;
    taskQueue?: string;
    /** The event store of the event-sourcing workflows. */
    eventStore?: EventDb;
  } = {},
): Promise<TestWorker> {
  quietRuntime();
  const taskQueue = options.taskQueue ?? unique('tq');
  const outDir = options.outDir ?? (await mkdtemp(join(tmpdir(), 'stream-collab-out-')));
  const connection = await NativeConnection.connect({ address: inject('temporalAddress') });
  const env = options.env ?? process.env;
  const worker = await createWorker({
    connection,
    namespace: inject('temporalNamespace'),
    taskQueue,
    agents: options.registry ?? new AgentRegistry(parseAgentsFile(options.agents ?? agentsYaml(), 'agents.yaml', env)),
    outDir,
    env,
    ...(options.builtins !== undefined ? { builtins: options.builtins } : {}),
    ...(options.eventStore !== undefined ? { eventStore: options.eventStore } : {}),
    workflowBundle: { codePath: inject('workflowBundlePath') },
  });
  const running = worker.run();
  return {
    taskQueue,
    outDir,
    worker,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await connection.close();
    },
  };
}

export interface RecordedRequest {
  readonly headers: IncomingMessage['headers'];
  readonly body: Record<string, unknown>;
  readonly at: number;
}

export type AgentHandler = (req: RecordedRequest, n: number, res: ServerResponse) => void;

/** A real HTTP agent on 127.0.0.1, recording every request it gets. */
export async function startHttpAgent(
  handler: AgentHandler,
): Promise<{ url: string; requests: RecordedRequest[]; close: () => Promise<void> }> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      const body = typeof parsed === 'object' && parsed !== null ? Object.fromEntries(Object.entries(parsed)) : {};
      const recorded = { headers: req.headers, body, at: Date.now() };
      requests.push(recorded);
      handler(recorded, requests.length, res);
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/handoff`,
    requests,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

/** A valid builder-output reply for the connector requirements an HTTP agent received. */
export function builderReply(req: RecordedRequest, builtBy = 'http-agent'): Record<string, unknown> {
  const payload = req.body.payload;
  const list =
    typeof payload === 'object' && payload !== null ? Reflect.get(payload, 'connector_requirements') : undefined;
  const requirements: unknown[] = Array.isArray(list) ? list : [];
  return {
    connectors: requirements.map((r) => {
      const api = String(typeof r === 'object' && r !== null ? Reflect.get(r, 'api') : '');
      const method = String(typeof r === 'object' && r !== null ? Reflect.get(r, 'method') : 'full');
      return {
        name: `${api}_connector`,
        api,
        table: api.replace(/_api$/, ''),
        method,
        extraction_sql: 'SELECT 1',
        built_by: builtBy,
      };
    }),
  };
}

export function replyJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/**
 * Polls `probe` until `done` holds for its value, and returns the last value either way: visibility is
 * eventually consistent, and the assertion that follows says what was wrong if it never held.
 */
export async function eventually<T>(
  probe: () => Promise<T> | T,
  done: (value: T) => boolean,
  timeoutMs = 10_000,
  intervalMs = 100,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > until) return value;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Waits for a condition, failing with what it waited for. */
export async function waitFor(
  what: string,
  predicate: () => Promise<boolean> | boolean,
  timeoutMs = 30_000,
): Promise<void> {
  if (!(await eventually(predicate, Boolean, timeoutMs))) throw new Error(`timed out waiting for ${what}`);
}

/** Whether a workflow with this id exists on the server (strongly consistent, unlike a list query). */
export async function workflowExists(client: Client, workflowId: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(workflowId).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

/**
 * Pattern A on a worker of its own with these bindings (every other agent built in): the outcome, the run's
 * handle and what the Temporal UI shows as its current details, read while the worker is still up.
 */
export async function runPatternA(
  client: Client,
  bindings: Record<string, string>,
  builtins?: BuiltinAgents,
): Promise<{ outcome: ChainOutcome; details: string; workflowId: string; handle: WorkflowHandle }> {
  const worker = await startWorker({
    agents: agentsYaml(bindings),
    ...(builtins !== undefined ? { builtins } : {}),
  });
  try {
    const started = await startChain(
      client,
      'schema-to-pipeline',
      { source_tables: ['orders'], target_model: 'fct_sales' },
      { id: unique('pattern-a'), taskQueue: worker.taskQueue },
    );
    const outcome = await waitChain(started.handle);
    const metadata: unknown = await started.handle.query('__temporal_workflow_metadata');
    const details = typeof metadata === 'object' && metadata !== null ? Reflect.get(metadata, 'currentDetails') : '';
    return { outcome, details: String(details), workflowId: started.workflowId, handle: started.handle };
  } finally {
    await worker.stop();
  }
}
