import {
  WorkflowFailedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionDescription,
} from '@temporalio/client';
import { FLOWS } from '../flows.js';
import { PayloadStoreError } from '../temporal/claim-check.js';
import { CodecKeyError } from '../temporal/codec.js';
import { failedOutcome, isChainState, type ChainOutcome } from '../temporal/chains.js';
import { chainQuery, type ChainState } from '../workflows/chain.js';
import { UsageError } from './errors.js';

/** The workflow types that run chains: one per flow. */
export const CHAIN_WORKFLOW_TYPES: readonly string[] = Object.values(FLOWS).map((f) => f.workflowType);

/** A workflow read back for the inspect commands: its latest run, and the chain if it is one. */
export interface LoadedChain {
  readonly workflowId: string;
  readonly runId: string;
  readonly description: WorkflowExecutionDescription;
  readonly outcome: ChainOutcome;
}

/**
 * The latest run of `workflowId` and its chain: the `chain` query while it runs (this needs a worker), else the
 * result, or the chain so far carried in the failure's details. A workflow that is not a chain (a backfill, say)
 * comes back without a state. An unknown id is a usage error.
 */
export async function loadChain(client: Client, workflowId: string): Promise<LoadedChain> {
  const handle = client.workflow.getHandle(workflowId);
  let description: WorkflowExecutionDescription;
  try {
    description = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new UsageError(`no workflow with id ${workflowId}`);
    throw err;
  }
  const status = description.status.name;
  const loaded = (outcome: ChainOutcome): LoadedChain => ({
    workflowId,
    runId: description.runId,
    description,
    outcome,
  });
  if (!CHAIN_WORKFLOW_TYPES.includes(description.type)) return loaded({ status });
  if (status === 'RUNNING') return loaded({ status, state: await handle.query(chainQuery) });
  try {
    const result: unknown = await handle.result();
    return loaded({ status, ...(isChainState(result) ? { state: result } : {}) });
  } catch (err) {
    // A payload that cannot be decoded (its key or its stored copy is missing) is the error to show, not "no chain".
    if (err instanceof CodecKeyError || err instanceof PayloadStoreError) throw err;
    return loaded(err instanceof WorkflowFailedError ? { ...failedOutcome(err), status } : { status });
  }
}

/** The chain of a loaded workflow, or a usage error saying why there is none. */
export function requireState(loaded: LoadedChain): ChainState {
  const state = loaded.outcome.state;
  if (state !== undefined) return state;
  const { type, status } = loaded.description;
  throw new UsageError(
    CHAIN_WORKFLOW_TYPES.includes(type)
      ? `${loaded.workflowId} (${status.name}) recorded no chain: its run ended without a result or failure details`
      : `${loaded.workflowId} is a ${type} workflow, not a chain`,
  );
}
