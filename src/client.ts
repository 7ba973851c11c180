/**
 * `stream-collab/client`: start, run, show and backfill chains from a script, the way the CLI does, with inputs
 * typed by the contracts and failures typed by the failure types. Workflow ids, search attributes and the task
 * queue are the CLI's (one code path, src/temporal/chains.ts and backfills.ts), so a chain started here attaches to
 * or is attached by the same request from the CLI, a backfill or a schedule.
 *
 * ```ts
 * import { connect } from 'stream-collab/client';
 * const sc = await connect(); // TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, … or a temporal.toml profile
 * try {
 *   const chain = await sc.run('schema-to-pipeline', { source_tables: ['raw_orders'], target_model: 'fct_orders' });
 * } finally {
 *   await sc.close();
 * }
 * ```
 */
import type { Client, WorkflowClientInterceptor } from '@temporalio/client';
import type { z } from 'zod';
import { UsageError } from './cli/errors.js';
import { loadChain } from './cli/load-chain.js';
import { check, formatIssues, type ContractIssue } from './contracts/index.js';
import { PipelineRequest } from './contracts/pipeline-request.js';
import { EtlRequest } from './etl/contracts.js';
import { PulseToStream } from './contracts/pulse-to-stream.js';
import { SchemaToStream } from './contracts/schema-to-stream.js';
import { FLOW_NAMES, type FlowName } from './flows.js';
import { expandRange, FailureType, type Grain, type PartitionSource } from './identity/index.js';
import { backfillProgress, startBackfill } from './temporal/backfills.js';
import { startChain, waitChain, type ChainOutcome } from './temporal/chains.js';
import { connectClient, targetFromEnv, taskQueueFromEnv, type ServerTarget } from './temporal/connection.js';
import { startTracing } from './temporal/telemetry.js';
import {
  MAX_CONCURRENT,
  type BackfillMode,
  type BackfillProgress,
  type PartitionStatus,
} from './workflows/backfill.js';
import type { ChainResult, ChainState, HandoffRecord } from './workflows/chain.js';

export { FailureType } from './identity/index.js';
/** Event sourcing: order commands through their aggregate workflows, and the projections' rebuild and rollback. */
export {
  CommandInputError,
  CommandRejectedError,
  rollbackProjection,
  sendOrderCommand,
  startProjections,
  startRebuild,
  type CommandResult,
  type OrderCommand,
} from './events/client.js';
export { FLOW_NAMES, type FlowName } from './flows.js';
export type { ContractIssue } from './contracts/index.js';
export type { ChainResult, ChainState, HandoffRecord, BackfillMode, BackfillProgress, PartitionStatus, Grain };
export type { PipelineRequest } from './contracts/pipeline-request.js';
export type { PulseToStream } from './contracts/pulse-to-stream.js';
export type { SchemaToStream } from './contracts/schema-to-stream.js';

/**
 * Each flow's input contract: the payload its first handoff carries. The flow table (flows.ts) names the same
 * contracts; a test keeps the two in step.
 */
export const FLOW_INPUTS = {
  'schema-to-pipeline': SchemaToStream,
  'analytics-pipeline': PulseToStream,
  'pipeline-visualization': PipelineRequest,
  'pipeline-testing': PipelineRequest,
  'cost-aware-pipeline': PipelineRequest,
  'warehouse-etl': EtlRequest,
} as const satisfies Record<FlowName, z.ZodType>;

/** What a flow is started with. Fields the contract does not name are kept and passed on to the agents. */
export type FlowInput<F extends FlowName> = z.input<(typeof FLOW_INPUTS)[F]>;

/** A chain's failure type: one of {@link FailureType}, or a type a newer worker or an agent reports. */
export type ChainFailureType = FailureType | (string & {});

/** The input broke its flow's contract: nothing was started. `issues` say where, what was expected and what came. */
export class ChainInputError extends Error {
  override name = 'ChainInputError';
  readonly type = FailureType.ContractViolation;
  constructor(
    readonly flow: FlowName,
    readonly issues: readonly ContractIssue[],
  ) {
    super(`not a valid input for ${flow}:\n${formatIssues([...issues])}`);
  }
}

/** The chain did not complete. `type` is its failure type; `chain` is the chain so far, when the run recorded it. */
export class ChainFailedError extends Error {
  override name = 'ChainFailedError';
  readonly type: ChainFailureType;
  readonly chain?: ChainState;
  constructor(
    readonly workflowId: string,
    readonly runId: string,
    readonly status: string,
    outcome: ChainOutcome,
  ) {
    super(outcome.failure?.message ?? `chain ${workflowId} ended ${status}`);
    this.type = outcome.failure?.type ?? status;
    if (outcome.state !== undefined) this.chain = outcome.state;
  }
}

/** No workflow has this id (in this namespace). */
export class ChainNotFoundError extends Error {
  override name = 'ChainNotFoundError';
  constructor(readonly workflowId: string) {
    super(`no workflow with id ${workflowId}`);
  }
}

/** A bad backfill request (an unreadable range, a concurrency out of bounds): nothing was started. */
export class BackfillRequestError extends Error {
  override name = 'BackfillRequestError';
}

export interface ChainOptions {
  /** The workflow id; by default the business key `<flow>/<subject>/[<partition>/]<digest>`. */
  readonly id?: string;
  /** The slice of data the chain covers, e.g. `date_key=2026-11-01`. */
  readonly partition?: string;
}

/** A started chain. `result()` waits for it: the chain once completed, else a {@link ChainFailedError}. */
export interface StartedChain {
  readonly workflowId: string;
  readonly runId: string;
  result(): Promise<ChainResult>;
}

/** A workflow as `show` reads it: a running chain's state (by query) or a closed one's result or failure. */
export interface ChainView {
  readonly workflowId: string;
  readonly runId: string;
  /** The execution status: RUNNING, COMPLETED, FAILED, CANCELLED, TERMINATED, TIMED_OUT, … */
  readonly status: string;
  /** The chain so far; absent for a workflow that is not a chain (a backfill). */
  readonly chain?: ChainState;
  readonly failure?: { readonly type: ChainFailureType; readonly message: string };
}

/** The partitions a backfill covers: a date range by grain, or a list. */
export type BackfillPartitions =
  { readonly from: string; readonly to: string; readonly grain?: Grain } | { readonly partitions: readonly string[] };

export interface BackfillOptions {
  /** Which partitions to run: `missing` (default) skips those with a completed chain, `failed` reruns failures. */
  readonly mode?: BackfillMode;
  /** Chains at once, 1–500 (default 8). */
  readonly maxConcurrent?: number;
  readonly id?: string;
}

/** A started backfill. `result()` waits for it to finish and returns its final progress. */
export interface StartedBackfill {
  readonly workflowId: string;
  readonly partitions: number;
  result(): Promise<BackfillProgress>;
}

const DEFAULT_MAX_CONCURRENT = 8;

/** Chains over a Temporal client: yours (with your interceptors and data converter), or one from {@link connect}. */
export class StreamCollab {
  readonly taskQueue: string;

  /**
   * @param client a connected Temporal client
   * @param options.taskQueue where chains start (default STREAM_COLLAB_TASK_QUEUE, or `stream-collab`): the
   *   queue your workers poll
   */
  constructor(
    readonly client: Client,
    options: { readonly taskQueue?: string; readonly onClose?: () => Promise<void> } = {},
  ) {
    this.taskQueue = options.taskQueue ?? taskQueueFromEnv();
    this.onClose = options.onClose;
  }

  private readonly onClose: (() => Promise<void>) | undefined;

  /**
   * Checks the input against the flow's contract and starts the chain, or attaches to the running chain with the
   * same id. Throws {@link ChainInputError} before anything starts if the input is not valid.
   */
  async start<F extends FlowName>(flow: F, input: FlowInput<F>, options: ChainOptions = {}): Promise<StartedChain> {
    const payload = checkedInput(flow, input);
    const started = await startChain(this.client, flow, payload, { ...options, taskQueue: this.taskQueue });
    return {
      workflowId: started.workflowId,
      runId: started.runId,
      result: async () => completed(started.workflowId, started.runId, await waitChain(started.handle)),
    };
  }

  /** {@link start} and wait: the completed chain, or a {@link ChainFailedError} with its failure type. */
  async run<F extends FlowName>(flow: F, input: FlowInput<F>, options: ChainOptions = {}): Promise<ChainResult> {
    return (await this.start(flow, input, options)).result();
  }

  /** The latest run of a workflow: the chain so far while it runs (needs a worker), its result or failure after. */
  async show(workflowId: string): Promise<ChainView> {
    let loaded;
    try {
      loaded = await loadChain(this.client, workflowId);
    } catch (err) {
      if (err instanceof UsageError) throw new ChainNotFoundError(workflowId);
      throw err;
    }
    const { outcome } = loaded;
    return {
      workflowId,
      runId: loaded.runId,
      status: outcome.status,
      ...(outcome.state !== undefined ? { chain: outcome.state } : {}),
      ...(outcome.failure !== undefined ? { failure: outcome.failure } : {}),
    };
  }

  /**
   * Runs a flow for many partitions, each chain under its partition's business key, so a partition already run by
   * hand, a schedule or an earlier backfill is not run twice (`mode: 'missing'`).
   */
  async backfill<F extends FlowName>(
    flow: F,
    input: FlowInput<F>,
    partitions: BackfillPartitions,
    options: BackfillOptions = {},
  ): Promise<StartedBackfill> {
    const payload = checkedInput(flow, input);
    const maxConcurrent = options.maxConcurrent ?? DEFAULT_MAX_CONCURRENT;
    if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1 || maxConcurrent > MAX_CONCURRENT) {
      throw new BackfillRequestError(
        `maxConcurrent: expected a whole number from 1 to ${MAX_CONCURRENT}, got ${maxConcurrent}`,
      );
    }
    const { source, count } = partitionSource(partitions);
    const { workflowId, handle } = await startBackfill(this.client, {
      flow,
      payload,
      partitions: source,
      mode: options.mode ?? 'missing',
      maxConcurrent,
      taskQueue: this.taskQueue,
      ...(options.id !== undefined ? { id: options.id } : {}),
    });
    return {
      workflowId,
      partitions: count,
      result: async () => {
        await handle.result();
        return (await backfillProgress(this.client, workflowId)).progress;
      },
    };
  }

  /** A backfill's progress: queried while it runs, its result once completed. */
  async backfillStatus(workflowId: string): Promise<{ status: string; progress: BackfillProgress }> {
    return backfillProgress(this.client, workflowId);
  }

  /** Closes the connection {@link connect} opened (and flushes its spans); a client you passed in stays open. */
  async close(): Promise<void> {
    await this.onClose?.();
  }
}

export interface ConnectOptions {
  /** The server; by default from TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_* or temporal.toml. */
  readonly address?: string;
  readonly namespace?: string;
  readonly taskQueue?: string;
  /** More workflow client interceptors (they run after the tracing one). */
  readonly interceptors?: readonly WorkflowClientInterceptor[];
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Connects like the CLI does and returns a {@link StreamCollab}; call `close()` in `finally`. When
 * OTEL_EXPORTER_OTLP_ENDPOINT is set, each start is traced (service `stream-collab-client`), so the worker's chain
 * and handoff spans join the script's trace.
 */
export async function connect(options: ConnectOptions = {}): Promise<StreamCollab> {
  const env = options.env ?? process.env;
  const fromEnv = targetFromEnv(env);
  const target: ServerTarget = {
    connection: { ...fromEnv.connection, ...(options.address !== undefined ? { address: options.address } : {}) },
    namespace: options.namespace ?? fromEnv.namespace,
  };
  const tracing = await startTracing('stream-collab-client', env);
  const { client, close } = await connectClient(target, {
    interceptors: { workflow: [...(tracing?.clientInterceptors() ?? []), ...(options.interceptors ?? [])] },
  });
  return new StreamCollab(client, {
    taskQueue: options.taskQueue ?? taskQueueFromEnv(env),
    onClose: async () => {
      await close();
      await tracing?.shutdown();
    },
  });
}

/** The input checked against the flow's contract (unknown fields kept), or a {@link ChainInputError}. */
function checkedInput(flow: FlowName, input: unknown): Record<string, unknown> {
  if (!FLOW_NAMES.includes(flow)) throw new ChainInputError(flow, [unknownFlow(flow)]);
  const contract: z.ZodType<Record<string, unknown>> = FLOW_INPUTS[flow];
  const checked = check(contract, input);
  if (!checked.ok) throw new ChainInputError(flow, checked.issues);
  return checked.value;
}

function unknownFlow(flow: string): ContractIssue {
  return { path: '(flow)', segments: [], message: `unknown flow "${flow}"; flows: ${FLOW_NAMES.join(', ')}` };
}

function completed(workflowId: string, runId: string, outcome: ChainOutcome): ChainResult {
  if (outcome.status === 'COMPLETED' && outcome.state !== undefined) return outcome.state;
  throw new ChainFailedError(workflowId, runId, outcome.status, outcome);
}

function partitionSource(partitions: BackfillPartitions): { source: PartitionSource; count: number } {
  if ('partitions' in partitions) {
    const list = [...partitions.partitions];
    if (list.length === 0 || list.some((p) => p === '')) {
      throw new BackfillRequestError('partitions: expected a non-empty list without empty entries');
    }
    if (new Set(list).size !== list.length)
      throw new BackfillRequestError('partitions: the list names a partition twice');
    return { source: { list }, count: list.length };
  }
  const grain = partitions.grain ?? 'day';
  let count: number;
  try {
    count = expandRange(partitions.from, partitions.to, grain).length;
  } catch (err) {
    throw new BackfillRequestError(err instanceof Error ? err.message : String(err));
  }
  return { source: { range: { from: partitions.from, to: partitions.to, grain } }, count };
}
