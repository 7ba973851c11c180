import { continueAsNew, executeChild, proxyActivities } from '@temporalio/workflow';
import type { BaselineActivities } from './baseline-activities.js';

// The same timeout and retry policy our chain derives for a built-in agent with default settings.
const { handoff } = proxyActivities<BaselineActivities>({
  startToCloseTimeout: '35s',
  retry: { maximumAttempts: 5, initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '60s' },
});

export interface BaselineResult {
  readonly connectors: number;
}

/** Pattern A by hand: the same two activity calls as our chain, with no bookkeeping around them. */
export async function baselineChain(payload: Record<string, unknown>): Promise<BaselineResult> {
  const requirements = await handoff('stream', payload);
  const output = await handoff('builder', requirements);
  const connectors = output.connectors;
  return { connectors: Array.isArray(connectors) ? connectors.length : 0 };
}

export interface BaselineBackfillInput {
  readonly partitions: number;
  readonly maxConcurrent: number;
  readonly payload: Record<string, unknown>;
  /** Child workflow ids are `<prefix>/<partition index>`. */
  readonly prefix: string;
  readonly done?: number;
}

/** Children per run before continue-as-new: about 5 events each, so a run stays under the 10,240-event warning. */
const BASELINE_CHILDREN_PER_RUN = 1_000;

/**
 * A backfill by hand: `baselineChain` as a child per partition, at most `maxConcurrent` at once, continue-as-new
 * every 1,000 children; no progress query, search attributes, skip or retry modes. Returns the partitions done.
 */
export async function baselineBackfill(input: BaselineBackfillInput): Promise<number> {
  const end = Math.min(input.partitions, (input.done ?? 0) + BASELINE_CHILDREN_PER_RUN);
  const running = new Set<Promise<void>>();
  for (let next = input.done ?? 0; next < end; next++) {
    if (running.size >= input.maxConcurrent) await Promise.race(running);
    const child: Promise<void> = executeChild(baselineChain, {
      workflowId: `${input.prefix}/${next}`,
      args: [input.payload],
    }).then(() => {
      running.delete(child);
    });
    running.add(child);
  }
  await Promise.all(running);
  if (end < input.partitions) await continueAsNew<typeof baselineBackfill>({ ...input, done: end });
  return end;
}
