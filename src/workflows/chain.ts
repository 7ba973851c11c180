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
  attemptFailure,
  carriedFailures,
  KEPT_ATTEMPT_FAILURES,
  type AttemptFailure,
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
import { CODE_NO_PATCHES, CODE_STEP_ON_FAILURE } from './chain-input.js';
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
  /**
   * The chain code this input was written for (`CHAIN_CODE` in chain-input.ts), set by every starter of ours. A
   * chain started with it behaves as its code says without asking `patched()`, so its history carries no patch
   * marker and no `TemporalChangeVersion` upsert (a visibility write). Inputs without it (recorded histories, a
   * starter in another SDK) ask the patches as before.
   */
  readonly code?: number;
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
  /** The failed attempts (the last few, oldest first), when any failed: why `attempts` is more than 1. */
  failures?: AttemptFailure[];
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

/**
 * A handoff heartbeats while it waits for its agent; an attempt whose worker died (SIGKILL, a lost host) stops
 * heartbeating and is retried this long after its last beat, instead of after the agent's whole timeout.
 */
const HEARTBEAT_TIMEOUT_MS = 4_000;

/** v1 histories predate search attributes; v2 ones upsert them at start, per step and at the end. */
const SEARCH_ATTRIBUTES_PATCH = 'stream-search-attributes';
/**
 * Since v3 whoever starts a chain sets its identity (and first step) in the start request, and the chain
 * upserts only what is missing and each later step: one visibility write per handoff after the first.
 */
const SEARCH_ATTRIBUTES_AT_START_PATCH = 'stream-search-attributes-at-start';

/**
 * Since this patch a reply with failed data-quality checks fails the chain as DataQualityFailed; runs before it
 * completed. Asked only when checks failed, so other chains' histories carry no marker.
 */
const DATA_QUALITY_PATCH = 'stream-data-quality-fails';

/**
 * A chain whose agent is bound `local: true` runs that agent's handoffs as local activities. Asked only for such
 * a handoff, so chains of remote bindings (all histories recorded before it) carry no marker and schedule
 * exactly the commands they did.
 */
const LOCAL_HANDOFFS_PATCH = 'stream-local-handoffs';

/**
 * Since this patch (and chain code 5) `StreamStep` is upserted once, to the handoff a chain failed at, not at
 * every step: a visibility write per handoff after the first cost about a tenth of the chains per second. The
 * handoff in progress is on the run's page in the UI (its pending activity and current details) and in `show`.
 */
const STEP_ON_FAILURE_PATCH = 'stream-step-on-failure';

/**
 * The chain code that includes each patch: an input stamped with that code or a later one takes the patched
 * branch without asking `patched()`; older inputs ask (SEARCH_ATTRIBUTES_PATCH is only asked by those).
 */
const PATCH_CODE: Readonly<Record<string, number>> = {
  [SEARCH_ATTRIBUTES_AT_START_PATCH]: CODE_NO_PATCHES,
  [DATA_QUALITY_PATCH]: CODE_NO_PATCHES,
  [LOCAL_HANDOFFS_PATCH]: CODE_NO_PATCHES,
  [STEP_ON_FAILURE_PATCH]: CODE_STEP_ON_FAILURE,
};

const { agentPolicies } = proxyLocalActivities<Activities>({ startToCloseTimeout: '10s' });

/**
 * Runs a flow's handoffs in order, each as one activity with the receiving agent's retry policy. A contract
 * violation or a rejection fails the chain at once with that failure type; the chain so far travels in the
 * failure's details and stays queryable. A replay reuses the recorded outputs before its `fromStep`.
 *
 * One configuration per chain: each agent's binding and policy are read once, as the chain starts (a local
 * activity, so they are kept in its history), and every handoff and retry uses them. An edit of agents.yaml
 * reaches chains started afterwards (a replay is a new chain, so it takes the bindings of its own start),
 * never a chain in flight, whichever worker runs its handoffs.
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
  /** Whether this chain runs `patch`'s branch: by its input's chain code, else as its history says. */
  const runs = (patch: string): boolean => (input.code ?? 0) >= (PATCH_CODE[patch] ?? Infinity) || patched(patch);
  const generation = runs(SEARCH_ATTRIBUTES_AT_START_PATCH) ? 3 : runs(SEARCH_ATTRIBUTES_PATCH) ? 2 : 1;
  const stepOnFailure = generation === 3 && runs(STEP_ON_FAILURE_PATCH);
  const fromStep = replay?.fromStep ?? 1;
  const firstSpec = flow.handoffs[fromStep - 1];
  const identity: SearchAttributePair[] = [
    ...chainSearchAttributes(flow.name, {
      ...(input.partition !== undefined ? { partition: input.partition } : {}),
      ...(input.backfill !== undefined ? { backfill: input.backfill } : {}),
      ...(replay !== undefined ? { replayOf: replay.of } : {}),
    }),
    // Before code 5 a chain's identity included its first step.
    ...(!stepOnFailure && firstSpec !== undefined
      ? [{ key: StreamStep, value: stepLabel(fromStep, firstSpec.from, firstSpec.to) }]
      : []),
  ];
  /**
   * Records the step in progress in the UI's current details; before code 5 also in search attributes (and
   * before v3 how the chain ended).
   */
  const mark = (step: string, first: boolean): void => {
    if (generation === 2) {
      upsertSearchAttributes([
        ...(first ? identity.filter((p) => p.key.name !== StreamStep.name) : []),
        { key: StreamStep, value: step },
      ]);
    } else if (generation === 3 && (first || !stepOnFailure)) {
      const wanted: SearchAttributePair[] = first ? identity : [{ key: StreamStep, value: step }];
      const missing = wanted.filter((p) => !sameValue(info.typedSearchAttributes.get(p.key), p.value));
      if (missing.length > 0) upsertSearchAttributes(missing);
    }
    setCurrentDetails(liveDetails(state));
  };
  /** Since code 5, where the chain failed: its one StreamStep upsert, in the workflow task that fails it. */
  const failedAt = (step: string): void => {
    if (stepOnFailure) upsertSearchAttributes([{ key: StreamStep, value: step }]);
  };

  if (typeof input.payload !== 'object' || input.payload === null || Array.isArray(input.payload)) {
    state.status = 'failed';
    throw ApplicationFailure.create({
      type: FailureType.ContractViolation,
      message: `the chain input must be a mapping (the ${flow.handoffs[0]?.input ?? 'first'} payload)`,
      nonRetryable: true,
    });
  }

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
    const label = stepLabel(record.step, spec.from, spec.to);
    mark(label, first);
    first = false;
    const summary = `${spec.from} → ${spec.to} · ${describePayload(spec.input, payload)}`;
    const { deliverHandoff } =
      isLocal(policy) && runs(LOCAL_HANDOFFS_PATCH)
        ? proxyLocalActivities<Activities>(localActivityOptions(policy, summary))
        : proxyActivities<Activities>(activityOptions(policy, summary));
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
        policy,
      });
      Object.assign(record, {
        status: 'completed',
        output: result.payload,
        attempts: result.attempts,
        transport: result.transport,
        artifacts: [...result.artifacts],
        // Results of workers from before failures were carried lack them.
        ...(result.failures !== undefined && result.failures.length > 0 ? { failures: [...result.failures] } : {}),
        finishedAt: new Date().toISOString(),
      });
      state.artifacts.push(...result.artifacts);
      payload = result.payload;
    } catch (err) {
      const failure = describeFailure(err, policy);
      Object.assign(record, {
        status: 'failed',
        error: { type: failure.type, message: failure.message },
        attempts: failure.attempt,
        ...(failure.failures.length > 0 ? { failures: failure.failures } : {}),
        transport: policy.transport,
        finishedAt: new Date().toISOString(),
      });
      state.status = 'failed';
      if (generation === 2) mark('failed', false);
      else setCurrentDetails(liveDetails(state));
      failedAt(label);
      throw ApplicationFailure.create({
        type: failure.type,
        message: `handoff ${record.step} (${spec.from} → ${spec.to}) failed: ${failure.message}`,
        nonRetryable: true,
        details: [state],
        cause: err instanceof Error ? err : undefined,
      });
    }
    const failedChecks = spec.reply === 'radar-output' || spec.reply === 'check-output' ? failedChecksIn(payload) : [];
    if (failedChecks.length > 0 && runs(DATA_QUALITY_PATCH)) {
      state.status = 'failed';
      state.output = payload;
      setCurrentDetails(liveDetails(state));
      failedAt(label);
      throw ApplicationFailure.create({
        type: FailureType.DataQualityFailed,
        message: `handoff ${record.step} (${spec.from} → ${spec.to}): ${describeChecks(failedChecks)}`,
        nonRetryable: true,
        details: [state],
      });
    }
  }
  state.status = 'completed';
  state.output = payload;
  if (generation === 2) mark('done', false);
  else setCurrentDetails(liveDetails(state));
  return state;
}

/** The checks of a Radar reply that failed (`failed`, or `fail` as agents before 0.1 spell it). */
function failedChecksIn(reply: Record<string, unknown>): unknown[] {
  const checks = field(reply, 'checks');
  if (!Array.isArray(checks)) return [];
  return checks.filter((c) => field(c, 'status') === 'failed' || field(c, 'status') === 'fail');
}

/** `2 checks failed: no_nulls: order_id on fct_orders (actual 1); …`, the first five named. */
function describeChecks(failed: readonly unknown[]): string {
  const named = failed.slice(0, 5).map((c) => {
    const table = field(c, 'table');
    const actual = field(c, 'actual');
    const reason = field(c, 'reason');
    return `${String(field(c, 'check'))}${typeof table === 'string' ? ` on ${table}` : ''}${
      typeof actual === 'number' || typeof actual === 'string' ? ` (actual ${actual})` : ''
    }${typeof reason === 'string' ? `: ${reason}` : ''}`;
  });
  const more = failed.length > 5 ? `; and ${failed.length - 5} more` : '';
  return `${failed.length} data-quality check${failed.length === 1 ? '' : 's'} failed: ${named.join('; ')}${more}`;
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
    // The attempts that failed before the last: the last one's reason is already in `error`.
    const earlier = (h.failures ?? []).filter((f) => h.status !== 'failed' || f.attempt !== h.attempts);
    const why = earlier.map((f) => `  ↳ attempt ${f.attempt}: ${f.type}: ${f.message}`);
    return [`${icon[h.status]} ${h.step}. ${h.from} → ${h.to}: ${h.status}${tries}${error}`, ...why].join('\n');
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
    heartbeatTimeout: HEARTBEAT_TIMEOUT_MS,
    summary,
    retry: retryPolicy(policy),
  };
}

/**
 * A local handoff: the same timeout and retry policy, without a heartbeat timeout (a local activity lives and
 * dies with the worker running the chain, whose workflow task times out if it is lost).
 */
function localActivityOptions(policy: AgentPolicy, summary: string) {
  return { startToCloseTimeout: policy.timeoutMs + TIMEOUT_SLACK_MS, summary, retry: retryPolicy(policy) };
}

function retryPolicy(policy: AgentPolicy) {
  return {
    maximumAttempts: policy.maximumAttempts,
    initialInterval: policy.initialIntervalMs,
    backoffCoefficient: policy.backoffCoefficient,
    maximumInterval: policy.maximumIntervalMs,
    nonRetryableErrorTypes: [...NON_RETRYABLE],
  };
}

/** Whether the binding recorded at the chain's start asks for local handoffs (built-in agents only). */
function isLocal(policy: AgentPolicy): boolean {
  return policy.binding?.transport === 'builtin' && policy.binding.local === true;
}

/**
 * The failure type, message, attempt and failed attempts of a failed handoff, from the activity failure's
 * cause. Our activity's failures carry the attempt in their details; for Temporal's own (a timeout,
 * `PayloadsTooLarge`) the attempt comes from the last heartbeat or the retry state, and is at least 1.
 */
function describeFailure(
  err: unknown,
  policy: AgentPolicy,
): { type: string; message: string; attempt: number; failures: AttemptFailure[] } {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  const exhausted = err instanceof ActivityFailure && err.retryState === 'MAXIMUM_ATTEMPTS_REACHED';
  const fallback = exhausted ? policy.maximumAttempts : 1;
  const attemptOf = (value: unknown): number => {
    const attempt = field(value, 'attempt');
    return typeof attempt === 'number' && attempt >= 1 ? attempt : fallback;
  };
  if (cause instanceof ApplicationFailure) {
    const [detail] = cause.details ?? [];
    const type = cause.type === undefined || cause.type === null || cause.type === 'Error' ? undefined : cause.type;
    return {
      type: type ?? FailureType.HandoffFailed,
      message: cause.message,
      attempt: attemptOf(detail),
      failures: carriedFailures(detail),
    };
  }
  if (cause instanceof TimeoutFailure) {
    const attempt = attemptOf(cause.lastHeartbeatDetails);
    const message = `attempt ${attempt} timed out in Temporal (${cause.timeoutType})`;
    return {
      type: FailureType.AgentTimeout,
      message: `the handoff timed out (${cause.timeoutType})`,
      attempt,
      failures: [
        ...carriedFailures(cause.lastHeartbeatDetails).filter((f) => f.attempt < attempt),
        attemptFailure(attempt, FailureType.AgentTimeout, message),
      ].slice(-KEPT_ATTEMPT_FAILURES),
    };
  }
  return {
    type: FailureType.HandoffFailed,
    message: cause instanceof Error ? cause.message : String(cause),
    attempt: fallback,
    failures: [],
  };
}
