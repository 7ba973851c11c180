import {
  ScheduleNotFoundError,
  type Client,
  type ScheduleOptions,
  type ScheduleOverlapPolicy,
} from '@temporalio/client';
import type { FlowName } from '../flows.js';
import { inputDigest, scheduleWorkflowId, TASK_QUEUE, type Grain } from '../identity/index.js';
import type { ScheduledChainInput } from '../workflows/scheduled-chain.js';

export const OVERLAP_POLICIES = [
  'skip',
  'buffer-one',
  'buffer-all',
  'cancel-other',
  'terminate-other',
  'allow-all',
] as const;
export type Overlap = (typeof OVERLAP_POLICIES)[number];

/** What a schedule does, in our words; turned into Temporal's schedule options in one place. */
export interface ScheduleSpec {
  readonly id: string;
  readonly flow: FlowName;
  readonly payload: Record<string, unknown>;
  readonly cron?: string;
  readonly everyMs?: number;
  readonly timezone?: string;
  readonly overlap: Overlap;
  readonly catchupWindowMs?: number;
  readonly pauseOnFailure: boolean;
  /** Each run covers the partition `lag` grains before its scheduled time. */
  readonly partition: { readonly grain: Grain; readonly lag: number };
  readonly taskQueue?: string;
}

/** Marks schedules `schedule sync` created, so it never removes one it did not create. */
export const MANAGED_BY = 'stream-collab schedule sync';

const OVERLAP: Readonly<Record<Overlap, ScheduleOverlapPolicy>> = {
  skip: 'SKIP',
  'buffer-one': 'BUFFER_ONE',
  'buffer-all': 'BUFFER_ALL',
  'cancel-other': 'CANCEL_OTHER',
  'terminate-other': 'TERMINATE_OTHER',
  'allow-all': 'ALLOW_ALL',
};

export function overlapPolicy(overlap: Overlap): ScheduleOverlapPolicy {
  return OVERLAP[overlap];
}

export function isOverlap(value: string): value is Overlap {
  return OVERLAP_POLICIES.some((o) => o === value);
}

/**
 * The workflow a schedule's action starts. Part of the spec digest, so changing what a schedule starts makes
 * `schedule sync` update every schedule it manages.
 */
export const SCHEDULE_ACTION = 'scheduledChain';

/**
 * Temporal's schedule options for a spec. Every run is a `scheduledChain` launcher (id `schedule/<id>-<time>`,
 * the id Temporal gives it) that starts the chain of the partition its scheduled time points at under the
 * chain's business-key id, so scheduled, backfilled and hand-run chains of a partition are one chain. Schedules
 * created before the launcher existed start the chain itself, under the schedule's id; `schedule sync` (whose
 * spec digest includes {@link SCHEDULE_ACTION}) updates them.
 */
export function scheduleOptions(spec: ScheduleSpec, memo?: Record<string, unknown>, note?: string): ScheduleOptions {
  const input: ScheduledChainInput = { flow: spec.flow, payload: spec.payload, partition: spec.partition };
  return {
    scheduleId: spec.id,
    spec: {
      ...(spec.cron !== undefined ? { cronExpressions: [spec.cron] } : {}),
      ...(spec.everyMs !== undefined ? { intervals: [{ every: spec.everyMs }] } : {}),
      ...(spec.timezone !== undefined ? { timezone: spec.timezone } : {}),
    },
    action: {
      type: 'startWorkflow',
      workflowType: SCHEDULE_ACTION,
      // Temporal appends the scheduled time: `schedule/<id>-2026-11-02T02:00:00Z`.
      workflowId: scheduleWorkflowId(spec.id),
      taskQueue: spec.taskQueue ?? TASK_QUEUE,
      args: [input],
      staticSummary: `${spec.flow} on schedule ${spec.id} · partition = ${spec.partition.lag} ${spec.partition.grain}(s) before the scheduled time`,
    },
    policies: {
      overlap: overlapPolicy(spec.overlap),
      ...(spec.catchupWindowMs !== undefined ? { catchupWindow: spec.catchupWindowMs } : {}),
      pauseOnFailure: spec.pauseOnFailure,
    },
    ...(memo !== undefined ? { memo } : {}),
    ...(note !== undefined ? { state: { note } } : {}),
  };
}

export function specDigest(spec: ScheduleSpec): string {
  return inputDigest({ spec, action: SCHEDULE_ACTION });
}

export interface SyncResult {
  readonly created: string[];
  readonly updated: string[];
  readonly unchanged: string[];
  readonly deleted: string[];
}

/**
 * Makes the server's schedules match `specs`: creates the missing, updates the changed (a digest of the
 * spec is kept in the schedule's note), and deletes schedules this same source created earlier that are no
 * longer listed. Schedules it did not create are never touched.
 */
export async function syncSchedules(
  client: Client,
  specs: readonly ScheduleSpec[],
  source: string,
): Promise<SyncResult> {
  const result: SyncResult = { created: [], updated: [], unchanged: [], deleted: [] };
  const note = (spec: ScheduleSpec): string => `${MANAGED_BY} from ${source}; spec ${specDigest(spec)}`;
  for (const spec of specs) {
    const handle = client.schedule.getHandle(spec.id);
    let current;
    try {
      current = await handle.describe();
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
    if (current === undefined) {
      await client.schedule.create(scheduleOptions(spec, { managedBy: MANAGED_BY, source }, note(spec)));
      result.created.push(spec.id);
    } else if (current.state.note === note(spec)) {
      result.unchanged.push(spec.id);
    } else {
      const { scheduleId, memo, ...options } = scheduleOptions(spec, undefined, note(spec));
      await handle.update((previous) => ({ ...options, state: { ...previous.state, note: note(spec) } }));
      result.updated.push(spec.id);
    }
  }
  const wanted = new Set(specs.map((s) => s.id));
  for await (const summary of client.schedule.list()) {
    if (wanted.has(summary.scheduleId)) continue;
    if (summary.memo?.managedBy !== MANAGED_BY || summary.memo.source !== source) continue;
    await client.schedule.getHandle(summary.scheduleId).delete();
    result.deleted.push(summary.scheduleId);
  }
  return result;
}
