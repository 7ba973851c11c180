import {
  executeChild,
  ParentClosePolicy,
  proxyActivities,
  setCurrentDetails,
  workflowInfo,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../activities/index.js';
import { FLOWS, type FlowName } from '../flows.js';
import {
  chainSearchAttributes,
  defaultChainId,
  partitionForScheduledTime,
  TemporalScheduledStartTime,
  type Grain,
} from '../identity/index.js';
import type { ChainInput, ChainResult } from './chain.js';
import { chainInput } from './chain-input.js';

/** What a schedule's action starts: the flow and payload of its chains, and how a run finds its partition. */
export interface ScheduledChainInput {
  readonly flow: FlowName;
  readonly payload: Record<string, unknown>;
  /** Each run covers the partition `lag` grains before its scheduled time. */
  readonly partition: { readonly grain: Grain; readonly lag: number };
  /** Payloads are encrypted: the chain's id must not repeat its input (see IdOptions). */
  readonly sealed?: boolean;
}

/**
 * What became of one scheduled run: `ran` (the chain completed; a failed chain fails this workflow instead),
 * or why it did not start one — the partition's chain had `succeeded earlier` or was `already running`. The
 * chain's result stays in the chain's own history: this one carries only its id.
 */
export interface ScheduledRun {
  readonly partition: string;
  readonly chainId: string;
  readonly outcome: 'ran' | 'succeeded earlier' | 'already running' | 'started elsewhere';
  /** The chain's status when this run did not start it. */
  readonly chainStatus?: string;
}

const { chainStatuses } = proxyActivities<Activities>({ startToCloseTimeout: '1m', retry: { maximumAttempts: 10 } });

/**
 * A schedule's run: derives the partition from its scheduled time (TemporalScheduledStartTime) and starts that
 * partition's chain as a child under the chain's business-key id — the id `run --partition` and a backfill give
 * it — so `backfill --mode missing`, `--dry-run`, `list --partition` and lineage see scheduled chains. Temporal
 * fixes a schedule's workflow id (`schedule/<id>-<time>`), hence this launcher rather than the chain itself.
 *
 * The chain starts with reuse policy ALLOW_DUPLICATE_FAILED_ONLY: the server refuses it while the partition's
 * chain runs or after it succeeded (a backfill or a hand run got there first), atomically, so a partition never
 * runs twice at once; the launcher then reports that chain's status instead. Otherwise it waits for the chain and
 * ends as it does, so the schedule's overlap policy and pause-on-failure apply to chains as before. The chain
 * is abandoned, not terminated, if the launcher is (terminate-other); cancelling the launcher (cancel-other)
 * cancels the chain.
 */
export async function scheduledChain(input: ScheduledChainInput): Promise<ScheduledRun> {
  const info = workflowInfo();
  const scheduledAt = info.typedSearchAttributes.get(TemporalScheduledStartTime) ?? info.startTime;
  const partition = partitionForScheduledTime(scheduledAt, input.partition.grain, input.partition.lag);
  const chainId = defaultChainId(input.flow, input.payload, partition, { sealed: input.sealed === true });
  const started = chainInput(input.payload, { partition });
  setCurrentDetails(`**${input.flow}** · ${partition} · chain \`${chainId}\``);
  try {
    await executeChild<(started: ChainInput) => Promise<ChainResult>>(FLOWS[input.flow].workflowType, {
      workflowId: chainId,
      args: [started],
      taskQueue: info.taskQueue,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
      parentClosePolicy: ParentClosePolicy.ABANDON,
      typedSearchAttributes: chainSearchAttributes(input.flow, { partition }),
      staticSummary: `${input.flow} · ${partition} · scheduled by ${info.workflowId}`,
    });
    return { partition, chainId, outcome: 'ran' };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const [status = 'NOT_FOUND'] = await chainStatuses([chainId]);
    const outcome =
      status === 'COMPLETED' ? 'succeeded earlier' : status === 'RUNNING' ? 'already running' : 'started elsewhere';
    setCurrentDetails(`**${input.flow}** · ${partition} · not started: ${outcome} (\`${chainId}\`, ${status})`);
    return { partition, chainId, outcome, chainStatus: status };
  }
}
