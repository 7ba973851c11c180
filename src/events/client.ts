import { randomUUID } from 'node:crypto';
import {
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import { ApplicationFailure, WorkflowIdConflictPolicy } from '@temporalio/common';
import {
  aggregateWorkflowId,
  FailureType,
  projectionRebuildWorkflowId,
  projectionWorkflowId,
} from '../identity/index.js';
import { orderAggregate, orderCommandUpdate, type CommandResult } from '../workflows/order-aggregate.js';
import { projection, rollbackUpdate } from '../workflows/projection.js';
import { projectionRebuild, type RebuildInput } from '../workflows/projection-rebuild.js';
import { CommandRequest, StreamId, type OrderCommand } from './domain.js';

export type { OrderCommand } from './domain.js';
import { PROJECTION_NAMES, type ProjectionName, type SwapResult, type Until } from './projections.js';

export type { CommandResult } from '../workflows/order-aggregate.js';

/** A command that breaks its contract (or a bad stream id): nothing was sent. */
export class CommandInputError extends Error {
  override name = 'CommandInputError';
  readonly type = FailureType.ContractViolation;
}

/** The shop refused the command (`reason`); no event was written. */
export class CommandRejectedError extends Error {
  override name = 'CommandRejectedError';
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export interface SendCommandOptions {
  /** Makes the command idempotent: sent again with the same id, it appends nothing and returns the first result. */
  readonly commandId?: string;
  readonly taskQueue: string;
}

/**
 * Sends one command to its order's aggregate workflow (update-with-start: the workflow is started if it is not
 * running) and waits for the result: the appended events' positions, or a {@link CommandRejectedError}. The
 * command is checked here first ({@link CommandInputError}) and again by the update's validator.
 */
export async function sendOrderCommand(
  client: Client,
  streamId: string,
  command: OrderCommand | Record<string, unknown>,
  options: SendCommandOptions,
): Promise<CommandResult> {
  const commandId = options.commandId ?? randomUUID();
  const stream = StreamId.safeParse(streamId);
  const request = CommandRequest.safeParse({ commandId, command });
  if (!stream.success || !request.success) {
    const issues = [...(stream.error?.issues ?? []), ...(request.error?.issues ?? [])];
    throw new CommandInputError(
      issues.map((i) => `${i.path.join('.') || (stream.success ? 'command' : 'stream')}: ${i.message}`).join('; '),
    );
  }
  const start = new WithStartWorkflowOperation(orderAggregate, {
    workflowId: aggregateWorkflowId(streamId),
    taskQueue: options.taskQueue,
    args: [{ streamId }],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    staticSummary: `order aggregate ${streamId}`,
  });
  try {
    return await client.workflow.executeUpdateWithStart(orderCommandUpdate, {
      updateId: commandId,
      args: [request.data],
      startWorkflowOperation: start,
    });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure)
      throw new CommandRejectedError(err.cause.type ?? 'Error', err.cause.message);
    throw err;
  }
}

/** Where the projection workflows run: their task queue, and the store's scope in their ids (see projectionWorkflowId). */
export interface ProjectionOptions {
  readonly taskQueue: string;
  readonly scope?: string;
}

/** Starts the projection workflows that are not running (one per projection; a running one is left alone). */
export async function startProjections(
  client: Client,
  options: ProjectionOptions & { batchSize?: number; waitMs?: number; batchesPerRun?: number },
): Promise<void> {
  const { taskQueue, scope, ...settings } = options;
  for (const name of PROJECTION_NAMES) {
    try {
      await client.workflow.start(projection, {
        workflowId: projectionWorkflowId(name, scope),
        taskQueue,
        args: [{ name, ...settings }],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        staticSummary: `projection ${name}`,
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }
}

/** Starts a rebuild of one projection (at most one runs per projection); returns its handle. */
export async function startRebuild(
  client: Client,
  name: ProjectionName,
  options: ProjectionOptions & { until?: Until; batchSize?: number; activityMs?: number; batchesPerRun?: number },
) {
  const input: RebuildInput = {
    name,
    ...(options.until !== undefined ? { until: options.until } : {}),
    ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
    ...(options.activityMs !== undefined ? { activityMs: options.activityMs } : {}),
    ...(options.batchesPerRun !== undefined ? { batchesPerRun: options.batchesPerRun } : {}),
  };
  return client.workflow.start(projectionRebuild, {
    workflowId: projectionRebuildWorkflowId(name, options.scope),
    taskQueue: options.taskQueue,
    args: [input],
    staticSummary: `rebuild ${name}${options.until !== undefined ? ` until ${JSON.stringify(options.until)}` : ''}`,
  });
}

/** Serves the previous version of a projection again, through its projection workflow. */
export async function rollbackProjection(client: Client, name: ProjectionName, scope?: string): Promise<SwapResult> {
  try {
    return await client.workflow.getHandle(projectionWorkflowId(name, scope)).executeUpdate(rollbackUpdate);
  } catch (err) {
    const cause = applicationCause(err);
    if (err instanceof WorkflowUpdateFailedError && cause !== undefined)
      throw new CommandRejectedError(cause.type ?? 'Error', cause.message);
    throw err;
  }
}

/** The first ApplicationFailure in an error's cause chain (an activity's failure arrives wrapped in ActivityFailure). */
function applicationCause(err: unknown): ApplicationFailure | undefined {
  for (let e: unknown = err; e instanceof Error; e = e.cause) if (e instanceof ApplicationFailure) return e;
  return undefined;
}

/** Stops the projection workflows (they follow the store until then). */
export async function stopProjections(client: Client, scope?: string): Promise<void> {
  for (const name of PROJECTION_NAMES)
    await client.workflow
      .getHandle(projectionWorkflowId(name, scope))
      .terminate('stopped')
      .catch(() => undefined);
}
