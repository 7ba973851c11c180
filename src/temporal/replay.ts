import type { Client } from '@temporalio/client';
import { diffPayloads, type PayloadChange } from '../diff.js';
import { FLOWS, isFlowName, type FlowName } from '../flows.js';
import { chainSearchAttributes, replayWorkflowId, TASK_QUEUE } from '../identity/index.js';
import type { ChainInput, ChainState } from '../workflows/chain.js';
import { chainInput } from '../workflows/chain-input.js';
import { waitChain, type ChainOutcome } from './chains.js';

/** Why a chain cannot be replayed as asked; the CLI turns it into exit 2. */
export class ReplayError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplayError';
  }
}

/** The step a `--from-step` names: a number (1-based), or the agent that receives that step's handoff. */
export function resolveStep(state: ChainState, fromStep: string | number): number {
  const n = typeof fromStep === 'number' ? fromStep : /^\d+$/.test(fromStep) ? Number(fromStep) : undefined;
  const steps = state.handoffs.map((h) => `${h.step} (${h.from} → ${h.to})`).join(', ');
  if (n !== undefined) {
    if (n < 1 || n > state.handoffs.length) throw new ReplayError(`--from-step: expected one of ${steps}, got ${n}`);
    return n;
  }
  const match = state.handoffs.find((h) => h.to === fromStep);
  if (match === undefined)
    throw new ReplayError(`--from-step: no handoff to "${fromStep}" in ${state.flow}; its steps are ${steps}`);
  return match.step;
}

export interface ReplayPlan {
  readonly flow: FlowName;
  readonly workflowId: string;
  readonly fromStep: number;
  readonly input: ChainInput;
}

/**
 * The new chain that re-drives `original` from `fromStep`: the recorded outputs of the earlier handoffs are
 * reused (their agents are not called), the rest are called with the current bindings. Its id is
 * `<original>/replay-from-<n>[-<override digest>]`, so asking twice while one runs attaches to it.
 */
export function planReplay(original: ChainState, fromStep: number, override?: Record<string, unknown>): ReplayPlan {
  if (!isFlowName(original.flow)) throw new ReplayError(`${original.chainId} is not a chain of a known flow`);
  const first = original.handoffs[0]?.input;
  if (first === undefined) throw new ReplayError(`${original.chainId} recorded no input for its first handoff`);
  const outputs = original.handoffs.slice(0, fromStep - 1).map((h) => {
    if (h.output === undefined) {
      throw new ReplayError(
        `--from-step ${fromStep}: step ${h.step} (${h.from} → ${h.to}) of ${original.chainId} has no recorded output (${h.status}); replay from step ${h.step} or earlier`,
      );
    }
    return h.output;
  });
  const base = original.replayOf?.workflowId ?? original.chainId;
  const workflowId = replayWorkflowId(base, fromStep, override);
  return {
    flow: original.flow,
    workflowId,
    fromStep,
    input: chainInput(first, {
      ...(original.partition !== undefined ? { partition: original.partition } : {}),
      replay: {
        of: original.chainId,
        ofRunId: original.runId,
        fromStep,
        outputs,
        ...(override !== undefined ? { override } : {}),
      },
    }),
  };
}

export interface HandoffComparison {
  readonly step: number;
  readonly from: string;
  readonly to: string;
  /** `reused`: the recorded output was taken; `called`: the agent was called again. */
  readonly how: 'reused' | 'called' | 'failed' | 'pending';
  readonly inputChanges: readonly PayloadChange[];
  readonly outputChanges: readonly PayloadChange[];
}

export interface ReplayReport {
  readonly original: { readonly workflowId: string; readonly runId: string };
  readonly workflowId: string;
  readonly runId: string;
  readonly outcome: ChainOutcome;
  readonly handoffs: readonly HandoffComparison[];
}

/** Starts the replay, waits for it and compares each handoff with the original's. */
export async function runReplay(
  client: Client,
  original: ChainState,
  plan: ReplayPlan,
  taskQueue: string = TASK_QUEUE,
): Promise<ReplayReport> {
  const handle = await client.workflow.start(FLOWS[plan.flow].workflowType, {
    workflowId: plan.workflowId,
    taskQueue,
    args: [plan.input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    typedSearchAttributes: chainSearchAttributes(plan.flow, {
      ...(plan.input.partition !== undefined ? { partition: plan.input.partition } : {}),
      replayOf: original.chainId,
    }),
    staticSummary: `replay of ${original.chainId} from step ${plan.fromStep}${plan.input.replay?.override !== undefined ? ' (payload overridden)' : ''}`,
  });
  const outcome = await waitChain(handle);
  const handoffs = (outcome.state?.handoffs ?? []).map((h, i): HandoffComparison => {
    const before = original.handoffs[i];
    const how =
      h.status === 'reused'
        ? 'reused'
        : h.status === 'completed'
          ? 'called'
          : h.status === 'failed'
            ? 'failed'
            : 'pending';
    return {
      step: h.step,
      from: h.from,
      to: h.to,
      how,
      inputChanges: diffPayloads(before?.input, h.input),
      outputChanges: h.output === undefined ? [] : diffPayloads(before?.output, h.output),
    };
  });
  return {
    original: { workflowId: original.chainId, runId: original.runId },
    workflowId: plan.workflowId,
    runId: handle.firstExecutionRunId,
    outcome,
    handoffs,
  };
}
