import { ServiceError, type Client } from '@temporalio/client';
import { field } from '../field.js';
import type { FlowName } from '../flows.js';
import { taskQueueFromEnv, type ServerTarget } from '../temporal/connection.js';
import { startChain, waitChain, type StartedChain } from '../temporal/chains.js';
import { prepareNamespace } from '../temporal/search-attributes.js';
import { ExitCode } from './errors.js';
import { flowArg, readFlowInput } from './input.js';
import { chainJson, chainReport } from './render.js';
import { printJson, runLink, withClient } from './context.js';

export interface RunOptions {
  readonly input: string;
  readonly id?: string;
  readonly partition?: string;
  readonly json?: boolean;
}

/**
 * `run <flow> --input <file>`: checks the input, starts the chain (or attaches to the running one with the
 * same id) and waits for it. Exit 0 if it completed, 1 if it failed.
 */
export async function runCommand(flowName: string, options: RunOptions): Promise<number> {
  const flow = flowArg(flowName);
  const payload = await readFlowInput(flow, options.input);
  return withClient(async (client, target) => {
    const started = await start(client, target, flow, payload, options);
    const link = runLink(target, started.workflowId, started.runId);
    if (options.json !== true) {
      process.stderr.write(
        `started ${started.workflowId} (run ${started.runId})${link !== undefined ? `: ${link}` : ''}\n`,
      );
    }
    await warnIfNoWorker(client, target.namespace);
    const outcome = await waitChain(started.handle);
    if (options.json === true) printJson(chainJson(started.workflowId, started.runId, outcome, link));
    else console.log(chainReport(started.workflowId, outcome, link));
    return outcome.status === 'COMPLETED' ? ExitCode.Ok : ExitCode.WorkflowFailed;
  });
}

/** `start <flow> --input <file>`: checks the input, starts the chain and returns without waiting. */
export async function startCommand(flowName: string, options: RunOptions): Promise<number> {
  const flow = flowArg(flowName);
  const payload = await readFlowInput(flow, options.input);
  return withClient(async (client, target) => {
    const started = await start(client, target, flow, payload, options);
    const link = runLink(target, started.workflowId, started.runId);
    if (options.json === true) {
      printJson({ workflowId: started.workflowId, runId: started.runId, ...(link !== undefined ? { ui: link } : {}) });
    } else {
      console.log(started.workflowId);
      process.stderr.write(
        `started run ${started.runId}; follow it with: npx stream-collab show ${started.workflowId}${link !== undefined ? ` or ${link}` : ''}\n`,
      );
      await warnIfNoWorker(client, target.namespace);
    }
    return ExitCode.Ok;
  });
}

/**
 * Starts the chain. A server no worker has prepared yet (a fresh `temporal server start-dev`) lacks the search
 * attributes a chain is started with: register them, as the worker would, and start again.
 */
async function start(
  client: Client,
  target: ServerTarget,
  flow: FlowName,
  payload: Record<string, unknown>,
  options: RunOptions,
): Promise<StartedChain> {
  const startOptions = { ...options, taskQueue: taskQueueFromEnv() };
  try {
    return await startChain(client, flow, payload, startOptions);
  } catch (err) {
    const reason = err instanceof ServiceError ? field(err.cause, 'details') : undefined;
    if (typeof reason !== 'string' || !reason.includes('no mapping defined for search attribute')) throw err;
    await prepareNamespace(target, (line) => process.stderr.write(`${line}\n`));
    return startChain(client, flow, payload, startOptions);
  }
}

/** A chain without a worker waits forever; say so instead of hanging silently. */
async function warnIfNoWorker(client: Client, namespace: string): Promise<void> {
  try {
    const response = await client.workflowService.describeTaskQueue({
      namespace,
      taskQueue: { name: taskQueueFromEnv() },
      taskQueueType: 1,
    });
    if ((response.pollers ?? []).length === 0) {
      const queue = taskQueueFromEnv();
      process.stderr.write(
        `no worker is polling task queue ${queue}; start one with: STREAM_COLLAB_TASK_QUEUE=${queue} npm run worker\n`,
      );
    }
  } catch {
    // Only a hint: a server that cannot describe task queues still runs the chain.
  }
}
