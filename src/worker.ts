import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { msToNumber } from '@temporalio/common/lib/time.js';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from './activities/index.js';
import { BUILTIN_AGENTS, type BuiltinAgents } from './agents/builtin/index.js';
import { AgentsFileError, loadAgentsFile } from './agents/config.js';
import { AgentRegistry } from './agents/registry.js';
import { DEFAULT_AGENTS_FILE, DEFAULT_OUT_DIR, TASK_QUEUE } from './identity/index.js';
import { ServerUnreachableError, targetFromEnv, taskQueueFromEnv } from './temporal/connection.js';
import { prepareNamespace } from './temporal/search-attributes.js';
import { connectWorker } from './temporal/worker-connection.js';
import { workflowSource } from './temporal/bundle.js';

export { WORKFLOWS_PATH } from './temporal/bundle.js';

export interface WorkerDeps {
  readonly connection: NativeConnection;
  readonly namespace: string;
  readonly agents: AgentRegistry;
  readonly outDir: string;
  readonly taskQueue?: string;
  /** Replaces the reference agents (benchmarks, tests). */
  readonly builtins?: BuiltinAgents;
  /** A prebuilt workflow bundle, so tests and benchmarks bundle once. */
  readonly workflowBundle?: WorkerOptions['workflowBundle'];
  readonly env?: NodeJS.ProcessEnv;
  /** Milliseconds running activities may go on after shutdown begins before they are cancelled (default 30 s). */
  readonly shutdownGraceMs?: number;
}

/** The default grace period of a stopping worker: long enough for a typical agent call to finish. */
export const DEFAULT_SHUTDOWN_GRACE = '30s';

/** The one place dependencies are wired into activities. */
export async function createWorker(deps: WorkerDeps): Promise<Worker> {
  const activities = createActivities({
    agents: deps.agents,
    builtins: deps.builtins ?? BUILTIN_AGENTS,
    outDir: resolve(deps.outDir),
    ...(deps.env !== undefined ? { env: deps.env } : {}),
  });
  return Worker.create({
    connection: deps.connection,
    namespace: deps.namespace,
    taskQueue: deps.taskQueue ?? TASK_QUEUE,
    activities,
    shutdownGraceTime: deps.shutdownGraceMs ?? msToNumber(DEFAULT_SHUTDOWN_GRACE),
    ...(deps.workflowBundle !== undefined ? { workflowBundle: deps.workflowBundle } : workflowSource()),
  });
}

/**
 * `npm run worker`: AGENTS_FILE (default agents.yaml), OUT_DIR (default out), STREAM_COLLAB_TASK_QUEUE
 * (default stream-collab), and the TEMPORAL_* connection env.
 */
async function main(): Promise<void> {
  const agentsFile = process.env.AGENTS_FILE ?? DEFAULT_AGENTS_FILE;
  const grace = shutdownGraceFromEnv();
  const agents = new AgentRegistry(await loadAgentsFile(agentsFile));
  const target = targetFromEnv();
  await prepareNamespace(target);
  const connection = await connectWorker(target);
  try {
    const taskQueue = taskQueueFromEnv();
    const worker = await createWorker({
      connection,
      namespace: target.namespace,
      taskQueue,
      agents,
      outDir: process.env.OUT_DIR ?? DEFAULT_OUT_DIR,
      shutdownGraceMs: grace,
    });
    console.log(
      `worker: task queue ${taskQueue} on ${target.connection.address} (namespace ${target.namespace}), agents from ${agentsFile}`,
    );
    // Worker.run() shuts down on SIGINT/SIGTERM: it stops polling, running activities get the grace period to
    // finish (then they are cancelled and retried elsewhere), and it returns.
    await worker.run();
    console.log('worker: stopped');
  } finally {
    await connection.close();
  }
}

/** STREAM_COLLAB_SHUTDOWN_GRACE: a duration such as `30s`, `2m` or `500ms` (Temporal's duration format). */
export function shutdownGraceFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const value = env.STREAM_COLLAB_SHUTDOWN_GRACE;
  try {
    return msToNumber(value === undefined || value === '' ? DEFAULT_SHUTDOWN_GRACE : Number(value) || value);
  } catch {
    throw new WorkerConfigError(
      `STREAM_COLLAB_SHUTDOWN_GRACE: expected a duration such as 30s, 2m or 500ms, got ${JSON.stringify(value)}`,
    );
  }
}

/** A worker setting from the environment that cannot be used; exit 2 like a bad agents.yaml. */
export class WorkerConfigError extends Error {
  override name = 'WorkerConfigError';
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // Exit once the worker has stopped, whatever handles a library left open: a supervisor waits for the exit.
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(
        err instanceof AgentsFileError || err instanceof WorkerConfigError
          ? 2
          : err instanceof ServerUnreachableError
            ? 3
            : 1,
      );
    },
  );
}
