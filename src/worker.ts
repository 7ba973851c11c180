import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { msToNumber } from '@temporalio/common/lib/time.js';
import type { DataConverter } from '@temporalio/common';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from './activities/index.js';
import { createEventActivities } from './events/activities.js';
import { openWorkerEventStore } from './events/config.js';
import type { EventDb } from './events/db.js';
import { migrate } from './events/projections.js';
import { BUILTIN_AGENTS, type BuiltinAgents } from './agents/builtin/index.js';
import { AgentsFileError } from './agents/config.js';
import { AgentRegistry } from './agents/registry.js';
import { DEFAULT_AGENTS_FILE, DEFAULT_OUT_DIR, TASK_QUEUE } from './identity/index.js';
import { ServerUnreachableError, targetFromEnv, taskQueueFromEnv } from './temporal/connection.js';
import { buildDataConverter, CodecConfigError, codecConfigFromEnv } from './temporal/data-converter.js';
import { prepareNamespace } from './temporal/search-attributes.js';
import { connectWorker } from './temporal/worker-connection.js';
import { workflowSource } from './temporal/bundle.js';
import {
  installRuntime,
  startTracing,
  TelemetryConfigError,
  workerTelemetryOptions,
  type Tracing,
} from './temporal/telemetry.js';

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
  /** Exports a span per chain and per handoff when set (telemetry.ts), with the traced workflow bundle. */
  readonly tracing?: Tracing;
  /** The project's data converter; by default built from `env` (codec keys, payload store). */
  readonly dataConverter?: DataConverter;
  /** The event store of the event-sourcing workflows (migrated on first use); without it their activities fail. */
  readonly eventStore?: EventDb;
}

/** The default grace period of a stopping worker: long enough for a typical agent call to finish. */
export const DEFAULT_SHUTDOWN_GRACE = '30s';

/** The one place dependencies are wired into activities. */
export async function createWorker(deps: WorkerDeps): Promise<Worker> {
  const codec = codecConfigFromEnv(deps.env ?? process.env);
  const eventStore = deps.eventStore;
  let migrated: Promise<EventDb> | undefined;
  const activities = {
    ...createActivities({
      maxPayloadBytes: codec.hardLimitBytes,
      agents: deps.agents,
      builtins: deps.builtins ?? BUILTIN_AGENTS,
      outDir: resolve(deps.outDir),
      ...(deps.env !== undefined ? { env: deps.env } : {}),
    }),
    ...createEventActivities(
      eventStore !== undefined
        ? {
            eventStore: () =>
              (migrated ??= migrate(eventStore).then(
                () => eventStore,
                (err: unknown) => {
                  // Not remembered: the next activity tries again (the server may be back).
                  migrated = undefined;
                  throw err;
                },
              )),
          }
        : {},
    ),
  };
  const source =
    deps.workflowBundle !== undefined
      ? { workflowBundle: deps.workflowBundle }
      : workflowSource({ traced: deps.tracing !== undefined, encrypted: codec.keys.length > 0 });
  return Worker.create({
    connection: deps.connection,
    namespace: deps.namespace,
    taskQueue: deps.taskQueue ?? TASK_QUEUE,
    activities,
    dataConverter: deps.dataConverter ?? buildDataConverter(codec),
    shutdownGraceTime: deps.shutdownGraceMs ?? msToNumber(DEFAULT_SHUTDOWN_GRACE),
    // A chain whose worker died waits this long for it before another worker takes its next step (default 10 s).
    stickyQueueScheduleToStartTimeout: '2s',
    ...source,
    ...workerTelemetryOptions(deps.tracing, 'workflowBundle' in source),
  });
}

/**
 * `npm run worker`: AGENTS_FILE (default agents.yaml), OUT_DIR (default out), STREAM_COLLAB_TASK_QUEUE
 * (default stream-collab), and the TEMPORAL_* connection env.
 */
async function main(): Promise<void> {
  const agentsFile = process.env.AGENTS_FILE ?? DEFAULT_AGENTS_FILE;
  const grace = shutdownGraceFromEnv();
  // With a codec key, error messages are encrypted in history: keep them out of the log too.
  const codec = codecConfigFromEnv();
  const agents = await AgentRegistry.fromFile(agentsFile);
  const metrics = await installRuntime(process.env, codec.keys.length > 0);
  const tracing = await startTracing('stream-collab-worker');
  const target = targetFromEnv();
  await prepareNamespace(target);
  const connection = await connectWorker(target);
  const outDir = process.env.OUT_DIR ?? DEFAULT_OUT_DIR;
  const events = await openWorkerEventStore(process.env, outDir);
  try {
    const taskQueue = taskQueueFromEnv();
    const worker = await createWorker({
      connection,
      namespace: target.namespace,
      taskQueue,
      agents,
      outDir,
      shutdownGraceMs: grace,
      eventStore: events.db,
      ...(tracing !== undefined ? { tracing } : {}),
    });
    console.log(
      `worker: task queue ${taskQueue} on ${target.connection.address} (namespace ${target.namespace}), agents from ${agentsFile}`,
    );
    console.log(
      `worker: event store ${events.db.engine === 'postgres' ? 'EVENT_STORE_URL' : `embedded PGlite at ${events.db.url}`}`,
    );
    if (metrics !== undefined) console.log(`worker: Prometheus metrics on http://${metrics}/metrics`);
    if (tracing !== undefined) console.log(`worker: OpenTelemetry traces to ${tracing.url}`);
    const encryption =
      codec.keys[0] !== undefined
        ? `encrypted with key ${codec.keys[0].id} (${codec.keys.length} decrypt)`
        : 'not encrypted (no STREAM_COLLAB_CODEC_KEYS)';
    console.log(
      `worker: payloads ${encryption}; above ${codec.refThresholdBytes} bytes by reference in ${codec.payloadDir}`,
    );
    // Worker.run() shuts down on SIGINT/SIGTERM: it stops polling, running activities get the grace period to
    // finish (then they are cancelled and retried elsewhere), and it returns.
    await worker.run();
    console.log('worker: stopped');
  } finally {
    await events.close();
    await connection.close();
    await tracing?.shutdown();
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
        err instanceof AgentsFileError ||
          err instanceof WorkerConfigError ||
          err instanceof TelemetryConfigError ||
          err instanceof CodecConfigError
          ? 2
          : err instanceof ServerUnreachableError
            ? 3
            : 1,
      );
    },
  );
}
