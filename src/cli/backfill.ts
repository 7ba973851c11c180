import { idOptionsFromEnv } from '../temporal/data-converter.js';
import type { Client } from '@temporalio/client';
import { SingleBar } from 'cli-progress';
import type { FlowName } from '../flows.js';
import {
  backfillInput,
  backfillProgress,
  describeSource,
  recordedBackfillInput,
  startBackfill,
  type StartBackfillOptions,
} from '../temporal/backfills.js';
import { taskQueueFromEnv } from '../temporal/connection.js';
import {
  defaultChainId,
  expandRange,
  GRAINS,
  isGrain,
  PartitionRangeError,
  type PartitionSource,
} from '../identity/index.js';
import { lookupStatuses } from '../temporal/statuses.js';
import {
  MAX_CONCURRENT,
  pauseSignal,
  resumeSignal,
  skipReason,
  type BackfillMode,
  type BackfillProgress,
} from '../workflows/backfill.js';
import { printJson, withClient } from './context.js';
import { cliTable } from './render.js';
import { ExitCode, UsageError } from './errors.js';
import { flowArg, readFlowInput } from './input.js';

export interface BackfillStartOptions {
  readonly input: string;
  readonly from?: string;
  readonly to?: string;
  readonly grain?: string;
  readonly partitions?: string;
  readonly maxConcurrent?: string;
  readonly mode?: string;
  readonly id?: string;
  readonly dryRun?: boolean;
  readonly wait?: boolean;
  readonly json?: boolean;
}

const MODES: readonly BackfillMode[] = ['missing', 'failed', 'all'];

function isMode(value: string): value is BackfillMode {
  return MODES.some((m) => m === value);
}

/** Checks every flag before anything starts: a malformed range is exit 2 with no workflow started. */
async function parseStart(
  flowName: string,
  o: BackfillStartOptions,
): Promise<StartBackfillOptions & { partitionList: string[] }> {
  const flow: FlowName = flowArg(flowName);
  const mode = o.mode ?? 'missing';
  if (!isMode(mode)) throw new UsageError(`--mode: expected one of ${MODES.join(' | ')}, got "${mode}"`);
  const maxConcurrent = Number(o.maxConcurrent ?? '8');
  if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1 || maxConcurrent > MAX_CONCURRENT) {
    throw new UsageError(
      `--max-concurrent: expected a whole number from 1 to ${MAX_CONCURRENT}, got "${o.maxConcurrent ?? ''}"`,
    );
  }
  let partitions: PartitionSource;
  let partitionList: string[];
  if (o.partitions !== undefined) {
    if (o.from !== undefined || o.to !== undefined || o.grain !== undefined)
      throw new UsageError('--partitions: give either --partitions or --from/--to[/--grain], not both');
    partitionList = o.partitions.split(',').map((p) => p.trim());
    if (partitionList.some((p) => p === ''))
      throw new UsageError(
        `--partitions: expected a comma-separated list without empty entries, got "${o.partitions}"`,
      );
    if (new Set(partitionList).size !== partitionList.length)
      throw new UsageError('--partitions: the list names a partition twice');
    partitions = { list: partitionList };
  } else {
    if (o.from === undefined || o.to === undefined)
      throw new UsageError('expected --from and --to (dates as YYYY-MM-DD), or --partitions a,b,c');
    const grain = o.grain ?? 'day';
    if (!isGrain(grain)) throw new UsageError(`--grain: expected one of ${GRAINS.join(' | ')}, got "${grain}"`);
    try {
      partitionList = expandRange(o.from, o.to, grain);
    } catch (err) {
      if (err instanceof PartitionRangeError) throw new UsageError(err.message);
      throw err;
    }
    partitions = { range: { from: o.from, to: o.to, grain } };
  }
  const payload = await readFlowInput(flow, o.input);
  return {
    flow,
    payload,
    partitions,
    partitionList,
    mode,
    maxConcurrent,
    ...(o.id !== undefined ? { id: o.id } : {}),
    taskQueue: taskQueueFromEnv(),
  };
}

/** `backfill start`: run one flow for many partitions (or, with --dry-run, say what would run and what not). */
export async function backfillStartCommand(flowName: string, o: BackfillStartOptions): Promise<number> {
  const options = await parseStart(flowName, o);
  return withClient(async (client) => {
    if (o.dryRun === true) return dryRun(client, options);
    const { workflowId } = await startBackfill(client, options);
    if (o.json === true && o.wait !== true) printJson({ workflowId, partitions: options.partitionList.length });
    else if (o.json !== true) {
      console.log(workflowId);
      process.stderr.write(
        `backfill of ${options.partitionList.length} partitions (${describeSource(options.partitions)}, mode ${options.mode}); follow it with: npx stream-collab backfill status ${JSON.stringify(workflowId)} --watch\n`,
      );
    }
    if (o.wait !== true) return ExitCode.Ok;
    const final = await watch(client, workflowId, o.json !== true);
    if (o.json === true) printJson({ workflowId, status: final.status, ...final.progress });
    else console.log(progressReport(workflowId, final.status, final.progress, false));
    return final.progress.counts.failed > 0 || final.status !== 'COMPLETED' ? ExitCode.WorkflowFailed : ExitCode.Ok;
  });
}

async function dryRun(client: Client, options: StartBackfillOptions & { partitionList: string[] }): Promise<number> {
  const input = backfillInput(options);
  const idOptions = idOptionsFromEnv();
  const ids = options.partitionList.map((p) => defaultChainId(input.flow, input.payload, p, idOptions));
  const statuses = await lookupStatuses(client, ids);
  const rows = options.partitionList.map((partition, i) => {
    const status = statuses[i] ?? 'NOT_FOUND';
    const reason = skipReason(options.mode, status);
    return {
      partition,
      workflowId: ids[i] ?? '',
      current: status,
      action: reason === undefined ? 'run' : 'skip',
      ...(reason !== undefined ? { reason } : {}),
    };
  });
  const toRun = rows.filter((r) => r.action === 'run').length;
  if (rows.length > 0) {
    const table = cliTable(['partition', 'chain now', 'would', 'why']);
    for (const r of rows)
      table.push([r.partition, r.current.toLowerCase().replace('_', ' '), r.action, r.reason ?? '']);
    console.log(table.toString());
  }
  console.log(
    `dry run (mode ${options.mode}): ${toRun} would run, ${rows.length - toRun} would be skipped; nothing was started`,
  );
  return ExitCode.Ok;
}

/** Polls progress until the backfill closes; with a TTY, as a live progress bar. */
async function watch(
  client: Client,
  workflowId: string,
  bar: boolean,
): Promise<{ status: string; progress: BackfillProgress }> {
  const progressBar = bar
    ? new SingleBar({
        format:
          ' {bar} {value}/{total} partitions · {succeeded} ok · {failed} failed · {skipped} skipped · {running} running {state}',
        hideCursor: true,
      })
    : undefined;
  let started = false;
  for (;;) {
    const current = await backfillProgress(client, workflowId, { limit: 0 });
    const c = current.progress.counts;
    const done = c.succeeded + c.failed + c.skipped;
    const payload = {
      succeeded: c.succeeded,
      failed: c.failed,
      skipped: c.skipped,
      running: c.running,
      state: current.progress.state,
    };
    if (progressBar !== undefined) {
      if (!started) progressBar.start(current.progress.requested, done, payload);
      else progressBar.update(done, payload);
      started = true;
    }
    if (current.status !== 'RUNNING') {
      progressBar?.stop();
      return backfillProgress(client, workflowId);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** `backfill status`: counts, and each partition that did not simply succeed, with its last error. */
export async function backfillStatusCommand(
  workflowId: string,
  o: { watch?: boolean; json?: boolean; all?: boolean },
): Promise<number> {
  return withClient(async (client) => {
    const result =
      o.watch === true ? await watch(client, workflowId, o.json !== true) : await backfillProgress(client, workflowId);
    if (o.json === true) {
      printJson({ workflowId, status: result.status, ...result.progress });
      return ExitCode.Ok;
    }
    console.log(progressReport(workflowId, result.status, result.progress, o.all === true));
    return ExitCode.Ok;
  });
}

export function progressReport(workflowId: string, status: string, p: BackfillProgress, all: boolean): string {
  const c = p.counts;
  const lines = [
    `${workflowId} — ${status} (${p.state}; ${p.flow}, mode ${p.mode}, ≤ ${p.maxConcurrent} at once)`,
    `  ${p.requested} partitions: ${c.succeeded} succeeded · ${c.failed} failed · ${c.skipped} skipped · ${c.running} running · ${c.pending} pending`,
    `  ${p.complete} of ${p.requested} partitions have a successful chain; ${p.runs} run(s), peak ${p.peakRunning} chains at once`,
  ];
  const shown = all ? p.partitions : p.partitions.filter((x) => x.status !== 'succeeded' && x.status !== 'pending');
  if (shown.length > 0) {
    const table = cliTable(['partition', 'status', 'detail', 'chain'], { 2: 60 });
    for (const x of shown.slice(0, all ? undefined : 50))
      table.push([x.partition, x.status, x.detail ?? '', x.workflowId]);
    lines.push(table.toString());
    if (!all && shown.length > 50) lines.push(`  … ${shown.length - 50} more (--all, or --json)`);
  }
  return lines.join('\n');
}

/** `backfill pause|resume`: stop or restart starting new partitions; running chains go on. */
export async function backfillSignalCommand(workflowId: string, which: 'pause' | 'resume'): Promise<number> {
  return withClient(async (client) => {
    await client.workflow.getHandle(workflowId).signal(which === 'pause' ? pauseSignal : resumeSignal);
    console.log(`${which === 'pause' ? 'paused' : 'resumed'} ${workflowId}`);
    return ExitCode.Ok;
  });
}

/** `backfill cancel`: cancels the backfill and its running chains, and waits until they have all closed. */
export async function backfillCancelCommand(workflowId: string): Promise<number> {
  return withClient(async (client) => {
    const handle = client.workflow.getHandle(workflowId);
    await handle.cancel();
    await handle.result().catch(() => undefined);
    const { progress } = await backfillProgress(client, workflowId).catch(() => ({ progress: undefined }));
    console.log(
      `cancelled ${workflowId}${progress !== undefined ? `: ${progress.counts.succeeded} succeeded, ${progress.counts.failed} failed before it stopped` : ''}`,
    );
    return ExitCode.Ok;
  });
}

/** `backfill retry-failed`: runs the same backfill again in mode `failed`, once it has stopped. */
export async function backfillRetryFailedCommand(
  workflowId: string,
  o: { wait?: boolean; json?: boolean },
): Promise<number> {
  return withClient(async (client) => {
    const status = (
      await client.workflow
        .getHandle(workflowId)
        .describe()
        .catch(() => undefined)
    )?.status.name;
    if (status === undefined) throw new UsageError(`no backfill with id ${workflowId}`);
    if (status === 'RUNNING') throw new UsageError(`${workflowId} is still running; wait for it, or cancel it first`);
    const input = await recordedBackfillInput(client, workflowId);
    if (input === undefined) throw new UsageError(`${workflowId} is not a backfill`);
    await startBackfill(client, { ...input, mode: 'failed', id: workflowId, taskQueue: taskQueueFromEnv() });
    if (o.json !== true) process.stderr.write(`re-running the failed partitions of ${workflowId}\n`);
    if (o.wait !== true) return ExitCode.Ok;
    const final = await watch(client, workflowId, o.json !== true);
    if (o.json === true) printJson({ workflowId, status: final.status, ...final.progress });
    else console.log(progressReport(workflowId, final.status, final.progress, false));
    return final.progress.counts.failed > 0 ? ExitCode.WorkflowFailed : ExitCode.Ok;
  });
}
