import {
  ActivityFailure,
  ApplicationFailure,
  defineQuery,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  TimeoutFailure,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities, ArtifactRef } from '../activities';
import type { AgentPolicy } from '../agents/registry';
import { FailureType, NON_RETRYABLE } from '../errors';
import { describePayload, type AgentName, type FlowName, type FlowSpec, type Party } from '../flows';
import { field } from '../field';

/** What a chain is started with: the payload handed into its first step, and the partition it covers. */
export interface ChainInput {
  readonly payload: Record<string, unknown>;
  /** The slice of data this chain covers, e.g. `date_key=2026-11-01`; carried in every envelope. */
  readonly partition?: string;
}

export type HandoffStatus = 'pending' | 'running' | 'completed' | 'failed';

/** One handoff of a chain, as recorded: who handed what to whom, how often it was tried, what came back. */
export interface HandoffRecord {
  step: number;
  from: Party;
  to: AgentName;
  inputContract: string;
  replyContract: string;
  status: HandoffStatus;
  transport?: string;
  input?: Record<string, unknown>;
  output?: Record<string, unknown>;
  attempts: number;
  startedAt?: string;
  finishedAt?: string;
  artifacts: ArtifactRef[];
  error?: { type: string; message: string };
}

/** The chain so far (the `chain` query) and, once completed, the workflow's result. */
export interface ChainState {
  chainId: string;
  runId: string;
  flow: FlowName;
  pattern: string;
  partition?: string;
  status: 'running' | 'completed' | 'failed';
  handoffs: HandoffRecord[];
  /** The last agent's reply. */
  output?: Record<string, unknown>;
  artifacts: ArtifactRef[];
}
export type ChainResult = ChainState;

/** The chain so far; answered while running and, given a worker, after the run closed. */
export const chainQuery = defineQuery<ChainState>('chain');

/** Some slack over the agent's own timeout, so the transport's typed AgentTimeout arrives before Temporal's. */
const TIMEOUT_SLACK_MS = 5_000;

const { agentPolicies } = proxyLocalActivities<Activities>({ startToCloseTimeout: '10s' });

/**
 * Runs a flow's handoffs in order, each as one activity with the receiving agent's retry policy. A contract
 * violation or a rejection fails the chain at once with that failure type; the chain so far travels in the
 * failure's details and stays queryable.
 */
export async function runChain(flow: FlowSpec, input: ChainInput): Promise<ChainResult> {
  const info = workflowInfo();
  const state: ChainState = {
    chainId: info.workflowId,
    runId: info.runId,
    flow: flow.name,
    pattern: flow.pattern,
    ...(input.partition !== undefined ? { partition: input.partition } : {}),
    status: 'running',
    handoffs: flow.handoffs.map((h, i) => ({
      step: i + 1,
      from: h.from,
      to: h.to,
      inputContract: h.input,
      replyContract: h.reply,
      status: 'pending',
      attempts: 0,
      artifacts: [],
    })),
    artifacts: [],
  };
  setHandler(chainQuery, () => state);
  if (typeof input.payload !== 'object' || input.payload === null || Array.isArray(input.payload)) {
    state.status = 'failed';
    throw ApplicationFailure.create({
      type: FailureType.ContractViolation,
      message: `the chain input must be a mapping (the ${flow.handoffs[0]?.input ?? 'first'} payload)`,
      nonRetryable: true,
    });
  }

  const policies = await agentPolicies([...new Set(flow.handoffs.map((h) => h.to))]);
  let payload = input.payload;
  for (const [i, spec] of flow.handoffs.entries()) {
    const record = state.handoffs[i];
    const policy = policies[spec.to];
    if (record === undefined || policy === undefined) throw new Error(`no record or policy for step ${i + 1}`);
    record.status = 'running';
    record.input = payload;
    record.startedAt = new Date().toISOString();
    const { deliverHandoff } = proxyActivities<Activities>(
      activityOptions(policy, `${spec.from} → ${spec.to} · ${describePayload(spec.input, payload)}`),
    );
    try {
      const result = await deliverHandoff({
        chainId: state.chainId,
        flow: flow.name,
        step: record.step,
        from: spec.from,
        to: spec.to,
        ...(input.partition !== undefined ? { partition: input.partition } : {}),
        inputContract: spec.input,
        replyContract: spec.reply,
        payload,
      });
      Object.assign(record, {
        status: 'completed',
        output: result.payload,
        attempts: result.attempts,
        transport: result.transport,
        artifacts: [...result.artifacts],
        finishedAt: new Date().toISOString(),
      });
      state.artifacts.push(...result.artifacts);
      payload = result.payload;
    } catch (err) {
      const failure = describeFailure(err);
      Object.assign(record, {
        status: 'failed',
        error: { type: failure.type, message: failure.message },
        attempts: failure.attempt,
        transport: policy.transport,
        finishedAt: new Date().toISOString(),
      });
      state.status = 'failed';
      throw ApplicationFailure.create({
        type: failure.type,
        message: `handoff ${record.step} (${spec.from} → ${spec.to}) failed: ${failure.message}`,
        nonRetryable: true,
        details: [state],
        cause: err instanceof Error ? err : undefined,
      });
    }
  }
  state.status = 'completed';
  state.output = payload;
  return state;
}

function activityOptions(policy: AgentPolicy, summary: string) {
  return {
    startToCloseTimeout: policy.timeoutMs + TIMEOUT_SLACK_MS,
    summary,
    retry: {
      maximumAttempts: policy.maximumAttempts,
      initialInterval: policy.initialIntervalMs,
      backoffCoefficient: policy.backoffCoefficient,
      maximumInterval: policy.maximumIntervalMs,
      nonRetryableErrorTypes: [...NON_RETRYABLE],
    },
  };
}

/** The failure type, message and attempt of a failed handoff, from the activity failure's cause. */
function describeFailure(err: unknown): { type: string; message: string; attempt: number } {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) {
    const [detail] = cause.details ?? [];
    const attempt = Number(field(detail, 'attempt') ?? 0);
    return { type: cause.type ?? 'HandoffFailed', message: cause.message, attempt };
  }
  if (cause instanceof TimeoutFailure) {
    return { type: FailureType.AgentTimeout, message: `the handoff timed out (${cause.timeoutType})`, attempt: 0 };
  }
  return { type: 'HandoffFailed', message: cause instanceof Error ? cause.message : String(cause), attempt: 0 };
}
