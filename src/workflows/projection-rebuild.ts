import {
  continueAsNew,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { EventActivities } from '../events/activities.js';
import type { ProjectionName, SwapResult, Until } from '../events/projections.js';
import { StreamPosition, StreamProjection } from '../identity/index.js';

export interface RebuildInput {
  readonly name: ProjectionName;
  /** Build the read model as of this position or time; it is kept beside the serving one, never swapped in. */
  readonly until?: Until;
  /**
   * Events per batch (default 500,000, about a second of PostgreSQL here): one `INSERT … SELECT … GROUP BY` per read
   * model, committed with the checkpoint; a worker lost mid-batch loses that batch's work, never more.
   */
  readonly batchSize?: number;
  /** How long one activity folds batches before it reports back (default 2 s; 0: one batch per activity). */
  readonly activityMs?: number;
  /** Continue as new after this many batches (default 200). */
  readonly batchesPerRun?: number;
  readonly carry?: RebuildCarry;
}

export interface RebuildCarry {
  readonly version: number;
  readonly untilPosition: number | null;
  readonly applied: number;
  readonly batches: number;
  readonly runs: number;
}

export interface RebuildResult {
  readonly name: ProjectionName;
  readonly version: number;
  readonly untilPosition: number | null;
  /** Events folded by the batches (the swap folds the last few itself: `swap.caughtUp`). */
  readonly applied: number;
  /** Batch activities run (each folds batches, committed one by one, for a couple of seconds). */
  readonly batches: number;
  readonly runs: number;
  readonly swap?: SwapResult;
}

const REBUILD_RETRY = { initialInterval: '200ms', maximumInterval: '5s', nonRetryableErrorTypes: ['NoEventStore'] };

const { beginProjectionRebuild, rebuildProjectionBatch, swapProjection } = proxyActivities<EventActivities>({
  startToCloseTimeout: '10m',
  heartbeatTimeout: '10s',
  retry: REBUILD_RETRY,
});

/** Creating the version is one short transaction: run it inside the first workflow task, without a round trip. */
const local = proxyLocalActivities<EventActivities>({ startToCloseTimeout: '1m', retry: REBUILD_RETRY });

/** Since this patch a rebuild begins with a local activity; rebuilds before it began with an activity task. */
const LOCAL_BEGIN_PATCH = 'rebuild-begin-local';

export const DEFAULT_REBUILD_BATCH = 500_000;

/**
 * Event replay as a backfill: folds the whole store, from position 0, into a new version of the read model while
 * the current version keeps serving, then swaps atomically (see swapTo). Every batch commits with its checkpoint,
 * so after a worker dies the retried batch resumes where the last commit left it; the version is found again by
 * this rebuild's id (workflow id and first run id), also across continue-as-new. With `until`, the version is
 * built as of that point and kept for reading (`rm.<name>_v<N>`), not swapped in.
 */
export async function projectionRebuild(input: RebuildInput): Promise<RebuildResult> {
  const info = workflowInfo();
  const batchSize = input.batchSize ?? DEFAULT_REBUILD_BATCH;
  let carry: RebuildCarry;
  if (input.carry !== undefined) carry = { ...input.carry, runs: input.carry.runs + 1 };
  else {
    const begin = patched(LOCAL_BEGIN_PATCH) ? local.beginProjectionRebuild : beginProjectionRebuild;
    const begun = await begin({
      name: input.name,
      rebuildId: `${info.workflowId}/${info.firstExecutionRunId}`,
      ...(input.until !== undefined ? { until: input.until } : {}),
    });
    carry = { version: begun.version, untilPosition: begun.untilPosition, applied: 0, batches: 0, runs: 1 };
    upsertSearchAttributes([{ key: StreamProjection, value: input.name }]);
  }
  const perRun = input.batchesPerRun ?? 200;
  for (let inRun = 0; ; inRun++) {
    if (inRun >= perRun || workflowInfo().continueAsNewSuggested)
      return continueAsNew<typeof projectionRebuild>({ ...input, carry });
    const batch = await rebuildProjectionBatch({
      name: input.name,
      version: carry.version,
      maxEvents: batchSize,
      ...(input.activityMs !== undefined ? { maxMs: input.activityMs } : {}),
    });
    carry = { ...carry, applied: carry.applied + batch.to - batch.from, batches: carry.batches + 1 };
    upsertSearchAttributes([{ key: StreamPosition, value: batch.to }]);
    setCurrentDetails(
      `**rebuild ${input.name} → v${carry.version}**${carry.untilPosition !== null ? ` as of position ${carry.untilPosition}` : ''}: ` +
        `${batch.streamPass === true ? 'in stream order, ' : ''}${batch.to} of ${batch.target} ` +
        `(${batch.target === 0 ? 100 : Math.floor((100 * batch.to) / batch.target)}%) · ` +
        `${carry.batches} batches · run ${carry.runs}`,
    );
    // An as-of build stops exactly at its point; a live one stops within a batch of the head, and the swap folds
    // the rest inside its own transaction.
    if (carry.untilPosition !== null ? batch.to >= batch.target : batch.target - batch.to < batchSize) break;
  }
  const result = {
    name: input.name,
    version: carry.version,
    untilPosition: carry.untilPosition,
    applied: carry.applied,
    batches: carry.batches,
    runs: carry.runs,
  };
  if (carry.untilPosition !== null) return result;
  const swap = await swapProjection({ name: input.name, version: carry.version });
  setCurrentDetails(
    `**rebuild ${input.name}**: v${swap.serving} serves (was v${swap.previous ?? '-'}), checkpoint ${swap.checkpoint}`,
  );
  return { ...result, swap };
}
