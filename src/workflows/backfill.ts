import {
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowCancellationType,
  ChildWorkflowFailure,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  executeChild,
  isCancellation,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../activities/index.js';
import { FLOWS, type FlowName } from '../flows.js';
import {
  chainWorkflowId,
  expandRange,
  type PartitionSource,
  chainSearchAttributes,
  StreamBackfill,
  StreamFlow,
} from '../identity/index.js';
import { chainInput } from './chain-input.js';

export type BackfillMode = 'missing' | 'failed' | 'all';

/** The hard cap on chains a backfill runs at once (Temporal allows 2,000 pending children; we stay far below). */
export const MAX_CONCURRENT = 500;

export interface BackfillInput {
  readonly flow: FlowName;
  /** The chain input every partition's chain starts with. */
  readonly payload: Record<string, unknown>;
  /** Subject and digest of the payload: with the partition they make each chain's id. */
  readonly subject: string;
  readonly digest: string;
  readonly partitions: PartitionSource;
  readonly mode: BackfillMode;
  readonly maxConcurrent: number;
  /** State carried across continue-as-new; absent on the first run. */
  readonly carry?: BackfillCarry;
}

/**
 * What a backfill has done so far. Partitions before `cursor` have started; those neither running nor in
 * `failed` or `skipped` succeeded, so the carry stays small however many partitions succeed.
 */
export interface BackfillCarry {
  cursor: number;
  failed: Record<string, string>;
  skipped: Record<string, string>;
  paused: boolean;
  runs: number;
  peakRunning: number;
  maxHistoryLength: number;
}

export type PartitionStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';

export interface PartitionProgress {
  readonly partition: string;
  readonly workflowId: string;
  readonly status: PartitionStatus;
  /** The last error of a failed partition, or why a partition was skipped. */
  readonly detail?: string;
}

export interface BackfillProgress {
  readonly backfillId: string;
  readonly flow: FlowName;
  readonly mode: BackfillMode;
  readonly maxConcurrent: number;
  readonly state: 'running' | 'paused' | 'completed' | 'cancelled';
  readonly requested: number;
  readonly counts: Readonly<Record<PartitionStatus, number>>;
  /** Partitions whose chain has succeeded, now or before this backfill (skipped as "succeeded earlier"). */
  readonly complete: number;
  readonly runs: number;
  readonly peakRunning: number;
  readonly maxHistoryLength: number;
  readonly partitions: readonly PartitionProgress[];
}

export interface ProgressFilter {
  readonly status?: PartitionStatus;
  readonly limit?: number;
}

export const backfillProgressQuery = defineQuery<BackfillProgress, [ProgressFilter?]>('backfillProgress');
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');

export const SUCCEEDED_EARLIER = 'succeeded earlier';

/**
 * Chain statuses are looked up this many partitions at a time, just ahead of starting them: a cheap pre-filter
 * that spares a start (two events) per partition already done. The server's reuse policy makes the decision.
 */
const STATUS_BATCH = 200;
/** Continue as new after this many chains, well before the 10,240-event warning (each chain costs ~6 events). */
const CHAINS_PER_RUN = 800;
const HISTORY_EVENTS_PER_RUN = 8000;

/**
 * Since this patch a chain is started with the reuse policy of the backfill's mode, so the server decides at
 * start whether a partition may run, atomically across backfills, schedules and hand runs; a refused start is
 * looked up once to say why. Backfills started before it start with ALLOW_DUPLICATE and never look up.
 */
const ATOMIC_START_PATCH = 'backfill-atomic-start';
/**
 * Since this patch the window does not stall at batch boundaries: the statuses of the next batch are looked up
 * while the current one starts (at most one batch older than before, which is safe because with the atomic
 * start the server's reuse policy decides; the lookup only spares starts). Runs in flight keep the old way; their
 * next run (continue-as-new) takes this one. Twice as many chains per run (fewer drains) was tried and measured no
 * faster: a run's history grows, and every workflow task that misses the sticky queue replays all of it.
 */
const PIPELINED_PATCH = 'backfill-pipelined';

const { chainStatuses } = proxyActivities<Activities>({ startToCloseTimeout: '2m', retry: { maximumAttempts: 10 } });

/**
 * Runs one flow for many partitions: one child chain per partition, with the deterministic id
 * `<flow>/<subject>/<partition>/<digest>` (the same a single `run --partition` and a schedule's run get), so a
 * partition runs at most once at a time and a re-submitted backfill does not redo work. `missing` skips
 * partitions whose chain succeeded, `failed` re-runs only failed ones, `all` runs everything; in the first two
 * the server decides at start (reuse policy ALLOW_DUPLICATE_FAILED_ONLY), so concurrent backfills, schedules
 * and hand runs never run a partition twice. At most `maxConcurrent` chains run at
 * once; the run continues as new well before history limits, draining its chains first. Pause and resume
 * are signals; cancelling the backfill cancels its running chains and waits for them to close.
 */
export async function backfill(input: BackfillInput): Promise<BackfillProgress> {
  const info = workflowInfo();
  const spec = FLOWS[input.flow];
  const partitions =
    'range' in input.partitions
      ? expandRange(input.partitions.range.from, input.partitions.range.to, input.partitions.range.grain)
      : [...input.partitions.list];
  const cap = Math.max(1, Math.min(MAX_CONCURRENT, Math.floor(input.maxConcurrent)));
  const carry: BackfillCarry = input.carry ?? {
    cursor: 0,
    failed: {},
    skipped: {},
    paused: false,
    runs: 0,
    peakRunning: 0,
    maxHistoryLength: 0,
  };
  carry.runs += 1;
  const atomicStart = patched(ATOMIC_START_PATCH);
  const running = new Set<string>();
  let state: BackfillProgress['state'] = 'running';
  const idOf = (partition: string): string => chainWorkflowId(input.flow, input.subject, input.digest, partition);

  // Counted from the carry, not from the partition list: this runs on every chain that ends.
  const counts = (): Record<PartitionStatus, number> => {
    const failed = Object.keys(carry.failed).length;
    const skipped = Object.keys(carry.skipped).length;
    return {
      pending: partitions.length - carry.cursor,
      running: running.size,
      succeeded: carry.cursor - running.size - failed - skipped,
      failed,
      skipped,
    };
  };
  const listPartitions = (): PartitionProgress[] =>
    partitions.map((partition, i) => {
      const workflowId = idOf(partition);
      if (running.has(partition)) return { partition, workflowId, status: 'running' };
      if (i >= carry.cursor) return { partition, workflowId, status: 'pending' };
      const failed = carry.failed[partition];
      if (failed !== undefined) return { partition, workflowId, status: 'failed', detail: failed };
      const skipped = carry.skipped[partition];
      if (skipped !== undefined) return { partition, workflowId, status: 'skipped', detail: skipped };
      return { partition, workflowId, status: 'succeeded' };
    });
  const progress = (filter: ProgressFilter = {}): BackfillProgress => {
    const now = counts();
    const earlier = Object.values(carry.skipped).filter((r) => r === SUCCEEDED_EARLIER).length;
    const shown =
      filter.limit === 0
        ? []
        : listPartitions().filter((p) => filter.status === undefined || p.status === filter.status);
    return {
      backfillId: info.workflowId,
      flow: input.flow,
      mode: input.mode,
      maxConcurrent: cap,
      state: state === 'running' && carry.paused ? 'paused' : state,
      requested: partitions.length,
      counts: now,
      complete: now.succeeded + earlier,
      runs: carry.runs,
      peakRunning: carry.peakRunning,
      maxHistoryLength: Math.max(carry.maxHistoryLength, workflowInfo().historyLength),
      partitions: filter.limit !== undefined ? shown.slice(0, filter.limit) : shown,
    };
  };
  const showDetails = (): void => {
    const c = counts();
    const shownState = state === 'running' && carry.paused ? 'paused' : state;
    setCurrentDetails(
      `**backfill ${input.flow}** (${input.mode}, ≤ ${cap} at once): ${shownState}\n\n` +
        `${c.succeeded} succeeded · ${c.failed} failed · ${c.skipped} skipped · ${c.running} running · ${c.pending} pending of ${partitions.length}`,
    );
  };
  setHandler(backfillProgressQuery, progress);
  setHandler(pauseSignal, () => {
    carry.paused = true;
    showDetails();
  });
  setHandler(resumeSignal, () => {
    carry.paused = false;
    showDetails();
  });
  if (carry.runs === 1)
    upsertSearchAttributes([
      { key: StreamFlow, value: input.flow },
      { key: StreamBackfill, value: info.workflowId },
    ]);
  showDetails();

  const runChain = async (partition: string): Promise<void> => {
    const started = chainInput(input.payload, { partition, backfill: info.workflowId });
    try {
      await executeChild(spec.workflowType, {
        workflowId: idOf(partition),
        args: [started],
        taskQueue: info.taskQueue,
        workflowIdReusePolicy: atomicStart ? reusePolicy(input.mode) : WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
        typedSearchAttributes: chainSearchAttributes(input.flow, { partition, backfill: info.workflowId }),
        staticSummary: `${input.flow} · ${partition} · backfill ${info.workflowId}`,
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) carry.failed[partition] = failureMessage(err);
      else if (!atomicStart) carry.skipped[partition] = ALREADY_RUNNING;
      // Another backfill, a schedule or a hand run got there first: see what its run is doing now.
      else carry.skipped[partition] = await refusedReason(idOf(partition));
    } finally {
      running.delete(partition);
      showDetails();
    }
  };

  const pipelined = atomicStart && patched(PIPELINED_PATCH);
  /** The lookup of the batch starting at `cursor`, begun while the batch before it was starting. */
  let ahead: { readonly cursor: number; readonly statuses: Promise<string[]> } | undefined;
  try {
    let startedThisRun = 0;
    while (carry.cursor < partitions.length) {
      const batch = partitions.slice(carry.cursor, carry.cursor + STATUS_BATCH);
      const lookup = ahead?.cursor === carry.cursor ? ahead.statuses : chainStatuses(batch.map(idOf));
      ahead = undefined;
      const statuses = await lookup;
      const next = carry.cursor + batch.length;
      // Not across a continue-as-new, whose next run looks the batch up itself.
      if (pipelined && next < partitions.length && startedThisRun + batch.length < CHAINS_PER_RUN) {
        const statuses = chainStatuses(partitions.slice(next, next + STATUS_BATCH).map(idOf));
        // Awaited by the next batch; a failure surfaces there, not as an unhandled rejection if never awaited.
        statuses.catch(() => undefined);
        ahead = { cursor: next, statuses };
      }
      for (const [j, partition] of batch.entries()) {
        const skip = skipReason(input.mode, statuses[j] ?? 'NOT_FOUND');
        if (skip !== undefined) {
          carry.skipped[partition] = skip;
          carry.cursor += 1;
          continue;
        }
        await condition(() => !carry.paused && running.size < cap);
        running.add(partition);
        carry.peakRunning = Math.max(carry.peakRunning, running.size);
        carry.cursor += 1;
        startedThisRun += 1;
        void runChain(partition);
      }
      showDetails();
      const now = workflowInfo();
      if (
        carry.cursor < partitions.length &&
        (startedThisRun >= CHAINS_PER_RUN || now.historyLength >= HISTORY_EVENTS_PER_RUN || now.continueAsNewSuggested)
      ) {
        // Drain first: the chains of this run must not outlive it.
        await condition(() => running.size === 0);
        carry.maxHistoryLength = Math.max(carry.maxHistoryLength, workflowInfo().historyLength);
        await continueAsNew<typeof backfill>({ ...input, carry });
      }
    }
    await condition(() => running.size === 0);
    state = 'completed';
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // Cancelled: the running chains were asked to cancel too; wait until they have closed.
    await CancellationScope.nonCancellable(() => condition(() => running.size === 0));
    state = 'cancelled';
    showDetails();
    throw err;
  }
  showDetails();
  return progress();
}

const ALREADY_RUNNING = 'already running (started elsewhere)';

/**
 * The workflow-id reuse policy a partition's chain starts with. `missing` and `failed` let the server refuse a
 * start while the id's last run is running or completed, so two deciders never both run a partition; `all`
 * re-runs completed ones (a running one is still refused).
 */
function reusePolicy(mode: BackfillMode): WorkflowIdReusePolicy {
  return mode === 'all' ? WorkflowIdReusePolicy.ALLOW_DUPLICATE : WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY;
}

/** Why the server refused to start a partition's chain, from that chain's status just after. */
async function refusedReason(workflowId: string): Promise<string> {
  let status: string;
  try {
    [status = 'NOT_FOUND'] = await chainStatuses([workflowId]);
  } catch (err) {
    // Never thrown on: this runs unawaited beside the window, and a cancelled backfill must still drain.
    return `${ALREADY_RUNNING}; its status could not be read: ${failureMessage(err)}`;
  }
  if (status === 'COMPLETED') return SUCCEEDED_EARLIER;
  if (status === 'RUNNING') return ALREADY_RUNNING;
  return `started elsewhere, which ended ${status.toLowerCase().replace(/_/g, ' ')}`;
}

/** Why a partition is not run in this mode, given its chain's current status; undefined to run it. */
export function skipReason(mode: BackfillMode, status: string): string | undefined {
  if (status === 'RUNNING') return ALREADY_RUNNING;
  if (mode === 'all') return undefined;
  if (status === 'COMPLETED') return SUCCEEDED_EARLIER;
  if (mode === 'failed' && status === 'NOT_FOUND') return 'never ran (mode failed)';
  return undefined;
}

function failureMessage(err: unknown): string {
  const cause = err instanceof ChildWorkflowFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) return `${cause.type ?? 'Error'}: ${cause.message}`;
  return cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
}
