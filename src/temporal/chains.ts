import { idOptionsFromEnv } from './data-converter.js';
import { WorkflowFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { FLOWS, type FlowName } from '../flows.js';
import { TASK_QUEUE, chainSearchAttributes, defaultChainId, inputDigest } from '../identity/index.js';
import type { ChainState } from '../workflows/chain.js';
import { chainInput } from '../workflows/chain-input.js';
import { field } from '../field.js';

export interface StartChainOptions {
  readonly id?: string;
  readonly partition?: string;
  readonly taskQueue?: string;
}

export interface StartedChain {
  readonly workflowId: string;
  readonly runId: string;
  readonly handle: WorkflowHandle;
}

/**
 * Starts a chain under its business-key id. A chain with that id already running is attached to rather
 * than started twice (conflict policy USE_EXISTING); a closed one is run again.
 */
export async function startChain(
  client: Client,
  flow: FlowName,
  payload: Record<string, unknown>,
  options: StartChainOptions = {},
): Promise<StartedChain> {
  const spec = FLOWS[flow];
  const workflowId = options.id ?? defaultChainId(flow, payload, options.partition, idOptionsFromEnv());
  const input = chainInput(payload, options.partition !== undefined ? { partition: options.partition } : {});
  const handle = await client.workflow.start(spec.workflowType, {
    taskQueue: options.taskQueue ?? TASK_QUEUE,
    workflowId,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    // Set with the start, so the chain is findable at once and need not upsert them itself.
    typedSearchAttributes: chainSearchAttributes(
      flow,
      options.partition !== undefined ? { partition: options.partition } : {},
    ),
    staticSummary: `${flow} (Pattern ${spec.pattern})${options.partition !== undefined ? ` · ${options.partition}` : ''} · input ${inputDigest(payload)}`,
    staticDetails: chainTable(flow),
  });
  return { workflowId, runId: handle.firstExecutionRunId, handle };
}

/**
 * The chain's agents as a short markdown table, shown as the run's details in the Temporal UI. The UI draws
 * tables without cell padding, so each cell ends in an em space (which HTML does not collapse).
 */
function chainTable(flow: FlowName): string {
  const row = (cells: readonly (string | number)[]): string => `| ${cells.map((c) => `${c}\u2003`).join(' | ')} |`;
  const rows = FLOWS[flow].handoffs.map((h, i) => row([i + 1, `${h.from} → ${h.to}`, h.input, h.reply]));
  return [row(['step', 'handoff', 'hands over', 'gets back']), '| --- | --- | --- | --- |', ...rows].join('\n');
}

export interface ChainOutcome {
  /** The workflow's execution status: COMPLETED, FAILED, RUNNING, CANCELLED, TERMINATED, TIMED_OUT. */
  readonly status: string;
  readonly state?: ChainState;
  readonly failure?: { readonly type: string; readonly message: string };
}

/** Waits for a chain to close; a failed chain comes back with its failure and the chain so far. */
export async function waitChain(handle: WorkflowHandle): Promise<ChainOutcome> {
  try {
    const result: unknown = await handle.result();
    return isChainState(result) ? { status: 'COMPLETED', state: result } : { status: 'COMPLETED' };
  } catch (err) {
    if (err instanceof WorkflowFailedError) return failedOutcome(err);
    throw err;
  }
}

/** The chain of a failed run, from the failure's details. */
export function failedOutcome(err: WorkflowFailedError): ChainOutcome {
  const cause = err.cause;
  if (cause instanceof ApplicationFailure) {
    const [state] = cause.details ?? [];
    return {
      status: 'FAILED',
      ...(isChainState(state) ? { state } : {}),
      failure: { type: cause.type ?? 'Error', message: cause.message },
    };
  }
  return { status: 'FAILED', failure: { type: cause?.name ?? 'Error', message: cause?.message ?? err.message } };
}

export function isChainState(value: unknown): value is ChainState {
  return (
    typeof value === 'object' &&
    value !== null &&
    Array.isArray(field(value, 'handoffs')) &&
    typeof field(value, 'flow') === 'string'
  );
}
