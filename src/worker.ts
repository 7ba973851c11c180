import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from './activities';
import { BUILTIN_AGENTS, type BuiltinAgents } from './agents/builtin';
import { AgentsFileError, loadAgentsFile } from './agents/config';
import { AgentRegistry } from './agents/registry';
import { DEFAULT_AGENTS_FILE, DEFAULT_OUT_DIR, TASK_QUEUE } from './names';
import { ServerUnreachableError, targetFromEnv, taskQueueFromEnv } from './temporal/connection';
import { prepareNamespace } from './temporal/search-attributes';
import { connectWorker } from './temporal/worker-connection';

export const WORKFLOWS_PATH = fileURLToPath(new URL('./workflows/index.ts', import.meta.url));

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
}

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
    ...(deps.workflowBundle !== undefined
      ? { workflowBundle: deps.workflowBundle }
      : { workflowsPath: WORKFLOWS_PATH }),
  });
}

/**
 * `npm run worker`: AGENTS_FILE (default agents.yaml), OUT_DIR (default out), STREAM_COLLAB_TASK_QUEUE
 * (default stream-collab), and the TEMPORAL_* connection env.
 */
async function main(): Promise<void> {
  const agentsFile = process.env.AGENTS_FILE ?? DEFAULT_AGENTS_FILE;
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
    });
    console.log(
      `worker: task queue ${taskQueue} on ${target.connection.address} (namespace ${target.namespace}), agents from ${agentsFile}`,
    );
    // Worker.run() stops gracefully on SIGINT/SIGTERM: running activities finish, then it returns.
    await worker.run();
  } finally {
    await connection.close();
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(err instanceof AgentsFileError ? 2 : err instanceof ServerUnreachableError ? 3 : 1);
  });
}
