import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { z } from 'zod';
import { field } from '../field.js';
import { FLOW_NAMES, type FlowName } from '../flows.js';
import {
  backfillProgressQuery,
  type BackfillInput,
  type BackfillMode,
  type BackfillProgress,
  type ProgressFilter,
} from '../workflows/backfill.js';
import {
  backfillWorkflowId,
  chainSubject,
  GRAINS,
  inputDigest,
  TASK_QUEUE,
  type PartitionSource,
} from '../identity/index.js';

export interface StartBackfillOptions {
  readonly flow: FlowName;
  readonly payload: Record<string, unknown>;
  readonly partitions: PartitionSource;
  readonly mode: BackfillMode;
  readonly maxConcurrent: number;
  readonly id?: string;
  readonly taskQueue?: string;
}

/** The backfill input for these options: what the workflow and a dry run both work from. */
export function backfillInput(options: StartBackfillOptions): BackfillInput {
  return {
    flow: options.flow,
    payload: options.payload,
    subject: chainSubject(options.flow, options.payload),
    digest: inputDigest(options.payload),
    partitions: options.partitions,
    mode: options.mode,
    maxConcurrent: options.maxConcurrent,
  };
}

/** Starts a backfill, or attaches to the one already running under the same id. */
export async function startBackfill(
  client: Client,
  options: StartBackfillOptions,
): Promise<{ workflowId: string; handle: WorkflowHandle }> {
  const workflowId = options.id ?? backfillWorkflowId(options.flow, options.payload, options.partitions);
  const input = backfillInput(options);
  const handle = await client.workflow.start('backfill', {
    workflowId,
    taskQueue: options.taskQueue ?? TASK_QUEUE,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    staticSummary: `backfill ${options.flow} · ${describeSource(options.partitions)} · mode ${options.mode} · ≤ ${options.maxConcurrent} at once`,
  });
  return { workflowId, handle };
}

export function describeSource(source: PartitionSource): string {
  return 'range' in source
    ? `${source.range.from}..${source.range.to} by ${source.range.grain}`
    : `${source.list.length} partitions`;
}

/** A backfill's progress: queried while it runs (or after, given a worker), or its result once completed. */
export async function backfillProgress(
  client: Client,
  workflowId: string,
  filter: ProgressFilter = {},
): Promise<{ status: string; progress: BackfillProgress }> {
  const handle = client.workflow.getHandle(workflowId);
  const description = await handle.describe();
  const status = description.status.name;
  if (status === 'COMPLETED') {
    const result: unknown = await handle.result();
    if (isProgress(result)) return { status, progress: filterProgress(result, filter) };
  }
  return { status, progress: await handle.query(backfillProgressQuery, filter) };
}

function filterProgress(progress: BackfillProgress, filter: ProgressFilter): BackfillProgress {
  const shown = progress.partitions.filter((p) => filter.status === undefined || p.status === filter.status);
  return { ...progress, partitions: filter.limit !== undefined ? shown.slice(0, filter.limit) : shown };
}

function isProgress(value: unknown): value is BackfillProgress {
  return typeof field(value, 'backfillId') === 'string' && Array.isArray(field(value, 'partitions'));
}

/** A backfill's recorded input, checked rather than trusted; the carried state is dropped. */
const RecordedInput = z.object({
  flow: z.enum(FLOW_NAMES),
  payload: z.record(z.string(), z.unknown()),
  subject: z.string(),
  digest: z.string(),
  partitions: z.union([
    z.object({ range: z.object({ from: z.string(), to: z.string(), grain: z.enum(GRAINS) }) }),
    z.object({ list: z.array(z.string()) }),
  ]),
  mode: z.enum(['missing', 'failed', 'all']),
  maxConcurrent: z.number(),
});

/** The input the latest run of a backfill was started with (without the state it carried), to run it again. */
export async function recordedBackfillInput(client: Client, workflowId: string): Promise<BackfillInput | undefined> {
  let history;
  try {
    history = await client.workflow.getHandle(workflowId).fetchHistory();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
  const [payload] = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
  if (payload === undefined) return undefined;
  const parsed = RecordedInput.safeParse(defaultPayloadConverter.fromPayload(payload));
  return parsed.success ? parsed.data : undefined;
}
