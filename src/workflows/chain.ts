import {
  ActivityFailure,
  ApplicationFailure,
  defineQuery,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  TimeoutFailure,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SearchAttributePair } from '@temporalio/common';
import type { Activities, ArtifactRef } from '../activities/index.js';
import type { AgentPolicy } from '../agents/registry.js';
import {
  FailureType,
  NON_RETRYABLE,
  partitionForScheduledTime,
  type Grain,
  chainSearchAttributes,
  StreamStep,
  stepLabel,
  TemporalScheduledStartTime,
} from '../identity/index.js';
import { field } from '../field.js';
import { describePayload, type AgentName, type FlowName, type FlowSpec, type Party } from '../flows.js';

/** What a chain is started with: the payload handed into its first step, and the partition it covers. */
export interface ChainInput {
  readonly payload: Record<string, unknown>;
  /** The slice of data this chain covers, e.g. `date_key=2026-11-01`; carried in every envelope. */
  readonly partition?: string;
  /** The backfill this chain runs for, if any (search attribute StreamBackfill). */
  readonly backfill?: string;
  /** Re-drive a recorded chain from one step on, reusing what came before. */
  readonly replay?: ReplayInput;
  /**
   * Started by a schedule created before the `scheduledChain` launcher (which passes `partition`): with no
   * `partition`, the chain covers the partition `lag` periods before its scheduled time (search attribute
   * TemporalScheduledStartTime). Kept for those schedules' runs; new schedules never set it.
   */
  readonly scheduled?: { readonly grain: Grain; readonly lag: number };
}

export interface ReplayInput {
  /** The workflow id of the chain replayed (search attribute StreamReplayOf). */
  readonly of: string;
  readonly ofRunId: string;
  /** The first step to call an agent for again (1-based). */
  readonly fromStep: number;
  /** The recorded outputs of steps 1 … fromStep-1, in order. */
  readonly outputs: readonly Record<string, unknown>[];
  /** Replaces the payload handed into `fromStep`. */
  readonly override?: Record<string, unknown>;
}

export type HandoffStatus = 'pending' | 'running' | 'completed' | 'failed' | 'reused';

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
  backfill?: string;
  replayOf?: { workflowId: string; runId: string; fromStep: number; overridden: boolean };
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

/** v1 histories predate search attributes; v2 ones upsert them at start, per step and at the end. */
const SEARCH_ATTRIBUTES_PATCH = 'stream-search-attributes';
/**
 * Since v3 whoever starts a chain sets its identity (and first step) in the start request, and the chain
 * upserts only what is missing and each later step: one visibility write per handoff after the first.
 */
const SEARCH_ATTRIBUTES_AT_START_PATCH = 'stream-search-attributes-at-start';

const { agentPolicies } = proxyLocalActivities<Activities>({ startToCloseTimeout: '10s' });

/**
 * Runs a flow's handoffs in order, each as one activity with the receiving agent's retry policy. A contract
 * violation or a rejection fails the chain at once with that failure type; the chain so far travels in the
 * failure's details and stays queryable. A replay reuses the recorded outputs before its `fromStep`.
 */
export async function runChain(flow: FlowSpec, started: ChainInput): Promise<ChainResult> {
  const info = workflowInfo();
  const input = withScheduledPartition(started);
  const replay = input.replay;
  const state: ChainState = {
    chainId: info.workflowId,
    runId: info.runId,
    flow: flow.name,
    pattern: flow.pattern,
    ...(input.partition !== undefined ? { partition: input.partition } : {}),
    ...(input.backfill !== undefined ? { backfill: input.backfill } : {}),
    ...(replay !== undefined
      ? {
          replayOf: {
            workflowId: replay.of,
            runId: replay.ofRunId,
            fromStep: replay.fromStep,
            overridden: replay.override !== undefined,
          },
        }
      : {}),
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
  const generation = patched(SEARCH_ATTRIBUTES_AT_START_PATCH) ? 3 : patched(SEARCH_ATTRIBUTES_PATCH) ? 2 : 1;
  const identity = chainSearchAttributes(flow.name, {
    ...(input.partition !== undefined ? { partition: input.partition } : {}),
    ...(input.backfill !== undefined ? { backfill: input.backfill } : {}),
    ...(replay !== undefined ? { replayOf: replay.of, fromStep: replay.fromStep } : {}),
  });
  /** Records the step in progress (or how the chain ended, before v3) in search attributes and the UI. */
  const mark = (step: string, first: boolean): void => {
    if (generation === 2) {
      upsertSearchAttributes([
        ...(first ? identity.filter((p) => p.key.name !== StreamStep.name) : []),
        { key: StreamStep, value: step },
      ]);
    } else if (generation === 3) {
      const wanted: SearchAttributePair[] = first ? identity : [{ key: StreamStep, value: step }];
      const missing = wanted.filter((p) => !sameValue(info.typedSearchAttributes.get(p.key), p.value));
      if (missing.length > 0) upsertSearchAttributes(missing);
    }
    setCurrentDetails(liveDetails(state));
  };

  if (typeof input.payload !== 'object' || input.payload === null || Array.isArray(input.payload)) {
    state.status = 'failed';
    throw ApplicationFailure.create({
      type: FailureType.ContractViolation,
      message: `the chain input must be a mapping (the ${flow.handoffs[0]?.input ?? 'first'} payload)`,
      nonRetryable: true,
    });
  }

  const fromStep = replay?.fromStep ?? 1;
  const policies = await agentPolicies([...new Set(flow.handoffs.slice(fromStep - 1).map((h) => h.to))]);
  let payload = input.payload;
  let first = true;
  for (const [i, spec] of flow.handoffs.entries()) {
    const record = state.handoffs[i];
    if (record === undefined) throw new Error(`no record for step ${i + 1}`);
    record.input = payload;
    if (replay !== undefined && record.step < fromStep) {
      const output = replay.outputs[i];
      if (output === undefined) throw replayFailure(`the replay has no recorded output for step ${record.step}`);
      Object.assign(record, { status: 'reused', output, transport: 'recorded' });
      payload = output;
      continue;
    }
    if (replay?.override !== undefined && record.step === fromStep) record.input = payload = replay.override;
    const policy = policies[spec.to];
    if (policy === undefined) throw new Error(`no policy for ${spec.to}`);
    record.status = 'running';
    record.startedAt = new Date().toISOString();
    mark(stepLabel(record.step, spec.from, spec.to), first);
    first = false;
    const summary = `${spec.from} → ${spec.to} · ${describePayload(spec.input, payload)}`;
    const { deliverHandoff } = proxyActivities<Activities>(activityOptions(policy, summary));
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
      if (generation === 2) mark('failed', false);
      else setCurrentDetails(liveDetails(state));
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
  if (generation === 2) mark('done', false);
  else setCurrentDetails(liveDetails(state));
  return state;
}

/** The input with its partition derived from the scheduled time, when a schedule started it without one. */
function withScheduledPartition(input: ChainInput): ChainInput {
  if (input.scheduled === undefined || input.partition !== undefined) return input;
  const info = workflowInfo();
  const scheduledAt = info.typedSearchAttributes.get(TemporalScheduledStartTime) ?? info.startTime;
  return { ...input, partition: partitionForScheduledTime(scheduledAt, input.scheduled.grain, input.scheduled.lag) };
}

/** Search attribute values compare by content (keyword lists are arrays). */
function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function replayFailure(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: FailureType.ContractViolation, message, nonRetryable: true });
}

/** The live state shown in the Temporal UI's "current details": one line per handoff. */
function liveDetails(state: ChainState): string {
  const icon: Record<HandoffStatus, string> = { pending: '·', running: '▶', completed: '✔', failed: '✖', reused: '↺' };
  const lines = state.handoffs.map((h) => {
    const tries = h.attempts > 1 ? ` (${h.attempts} attempts)` : '';
    const error = h.error !== undefined ? ` — ${h.error.type}: ${h.error.message}` : '';
    return `${icon[h.status]} ${h.step}. ${h.from} → ${h.to}: ${h.status}${tries}${error}`;
  });
  return [
    `**${state.flow}** (Pattern ${state.pattern})${state.partition !== undefined ? ` · ${state.partition}` : ''}: ${state.status}`,
    '',
    ...lines,
  ].join('\n');
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
