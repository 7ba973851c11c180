import {
  allHandlersFinished,
  condition,
  continueAsNew,
  defineUpdate,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { EventActivities } from '../events/activities.js';
import type { ProjectionName, SwapResult } from '../events/projections.js';
import { StreamPosition, StreamProjection } from '../identity/index.js';

export interface ProjectionInput {
  readonly name: ProjectionName;
  /** Events per batch (default 10,000): one transaction each, read model and checkpoint together. */
  readonly batchSize?: number;
  /** How long one follow activity waits for new events on a quiet store (default 5 s). */
  readonly waitMs?: number;
  /** Continue as new after this many batches (default 300), well below history limits. */
  readonly batchesPerRun?: number;
  readonly carry?: { readonly applied: number; readonly runs: number };
}

/** Serves the previous version of the read model again (after its last events are folded in, in the same transaction). */
export const rollbackUpdate = defineUpdate<SwapResult>('rollback');

const { followProjection } = proxyActivities<EventActivities>({
  startToCloseTimeout: '2m',
  heartbeatTimeout: '10s',
  retry: { initialInterval: '200ms', maximumInterval: '5s', nonRetryableErrorTypes: ['NoEventStore'] },
});
const { rollbackTarget, swapProjection } = proxyActivities<EventActivities>({
  startToCloseTimeout: '5m',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '200ms', maximumInterval: '5s' },
});

/**
 * Keeps one projection's serving read model caught up with the store: batches while behind, then waits for new
 * events (inside the activity, polling), so its lag is one batch and one poll. The checkpoint lives in PostgreSQL
 * with the read model; the workflow carries only counts, and continues as new every `batchesPerRun` batches.
 */
export async function projection(input: ProjectionInput): Promise<never> {
  const carry = { applied: input.carry?.applied ?? 0, runs: (input.carry?.runs ?? 0) + 1 };
  let position: number | undefined;
  setHandler(rollbackUpdate, async () => {
    const version = await rollbackTarget({ name: input.name });
    return swapProjection({ name: input.name, version });
  });
  if (carry.runs === 1) upsertSearchAttributes([{ key: StreamProjection, value: input.name }]);
  const perRun = input.batchesPerRun ?? 300;
  for (let i = 0; i < perRun && !workflowInfo().continueAsNewSuggested; i++) {
    const batch = await followProjection({
      name: input.name,
      maxEvents: input.batchSize ?? 10_000,
      waitMs: input.waitMs ?? 5_000,
    });
    carry.applied += batch.to - batch.from;
    if (batch.to !== position) {
      position = batch.to;
      upsertSearchAttributes([{ key: StreamPosition, value: batch.to }]);
    }
    setCurrentDetails(
      `**${input.name}** v${batch.version}: checkpoint ${batch.to} of ${batch.head} ` +
        `(${batch.head - batch.to} behind) · ${carry.applied} events applied by this workflow`,
    );
  }
  await condition(allHandlersFinished);
  return continueAsNew<typeof projection>({ ...input, carry });
}
