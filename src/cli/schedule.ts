import { dirname, resolve } from 'node:path';
import { ScheduleNotFoundError, ServiceError, type Client, type ScheduleSpecDescription } from '@temporalio/client';
import { z } from 'zod';
import { DurationMs } from '../agents/config.js';
import { contract, nonEmpty } from '../contracts/contract.js';
import { FLOW_NAMES, FLOWS } from '../flows.js';
import { GRAINS, isGrain, parseDay } from '../identity/index.js';
import { taskQueueFromEnv } from '../temporal/connection.js';
import {
  isOverlap,
  OVERLAP_POLICIES,
  overlapPolicy,
  scheduleOptions,
  syncSchedules,
  type Overlap,
  type ScheduleSpec,
} from '../temporal/schedules.js';
import { printJson, withClient } from './context.js';
import { cliTable } from './render.js';
import { ExitCode, UsageError } from './errors.js';
import { flowArg, readCheckedYaml, readContractFile, readFlowInput } from './input.js';

export interface ScheduleCreateOptions {
  readonly input: string;
  readonly cron?: string;
  readonly every?: string;
  readonly timezone?: string;
  readonly overlap?: string;
  readonly catchupWindow?: string;
  readonly pauseOnFailure?: boolean;
  readonly grain?: string;
  readonly lag?: string;
  readonly json?: boolean;
}

function duration(flag: string, text: string): number {
  const parsed = DurationMs.safeParse(text);
  if (!parsed.success) throw new UsageError(`${flag}: expected a duration such as "30m", "1h" or "1d", got "${text}"`);
  return parsed.data;
}

/** Flags to a spec, every one checked before the server is asked for anything. */
async function specFromFlags(id: string, flowName: string, o: ScheduleCreateOptions): Promise<ScheduleSpec> {
  const flow = flowArg(flowName);
  if ((o.cron === undefined) === (o.every === undefined))
    throw new UsageError('expected exactly one of --cron <expr> or --every <duration>');
  if (o.cron !== undefined && o.cron.trim().split(/\s+/).length < 5) {
    throw new UsageError(`--cron: expected five fields (minute hour day-of-month month day-of-week), got "${o.cron}"`);
  }
  const overlap = o.overlap ?? 'skip';
  if (!isOverlap(overlap))
    throw new UsageError(`--overlap: expected one of ${OVERLAP_POLICIES.join(' | ')}, got "${overlap}"`);
  const grain = o.grain ?? 'day';
  if (!isGrain(grain)) throw new UsageError(`--grain: expected one of ${GRAINS.join(' | ')}, got "${grain}"`);
  const lag = Number(o.lag ?? '1');
  if (!Number.isInteger(lag) || lag < 0)
    throw new UsageError(`--lag: expected a whole number of ${grain}s (0 or more), got "${o.lag ?? ''}"`);
  const payload = await readFlowInput(flow, o.input);
  return {
    id,
    flow,
    payload,
    ...(o.cron !== undefined ? { cron: o.cron } : {}),
    ...(o.every !== undefined ? { everyMs: duration('--every', o.every) } : {}),
    ...(o.timezone !== undefined ? { timezone: o.timezone } : {}),
    overlap,
    ...(o.catchupWindow !== undefined ? { catchupWindowMs: duration('--catchup-window', o.catchupWindow) } : {}),
    pauseOnFailure: o.pauseOnFailure === true,
    partition: { grain, lag },
    taskQueue: taskQueueFromEnv(),
  };
}

/** The server's refusal of a schedule (a bad cron, an unknown timezone) is bad input: exit 2, nothing created. */
async function serverChecked<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    // The schedule client rethrows the server's INVALID_ARGUMENT as a TypeError.
    if (
      err instanceof TypeError ||
      (err instanceof ServiceError && /INVALID_ARGUMENT|invalid/i.test(`${err.message} ${String(err.cause)}`))
    ) {
      throw new UsageError(`the server refused the schedule: ${err.message}`);
    }
    throw err;
  }
}

export async function scheduleCreateCommand(id: string, flow: string, o: ScheduleCreateOptions): Promise<number> {
  const spec = await specFromFlags(id, flow, o);
  return withClient(async (client) => {
    await serverChecked(() => client.schedule.create(scheduleOptions(spec)));
    const description = await client.schedule.getHandle(id).describe();
    const next = description.info.nextActionTimes[0];
    if (o.json === true) printJson({ scheduleId: id, nextActionTimes: description.info.nextActionTimes });
    else
      console.log(
        `created schedule ${id}: ${flow} ${spec.cron !== undefined ? `cron "${spec.cron}"` : `every ${o.every ?? ''}`}${next !== undefined ? `; next run ${next.toISOString()}` : ''}`,
      );
    return ExitCode.Ok;
  });
}

function notFound<T>(id: string): (err: unknown) => T {
  return (err: unknown) => {
    if (err instanceof ScheduleNotFoundError) throw new UsageError(`no schedule with id ${id}`);
    throw err;
  };
}

/** "at 02:00", "every 1h": when a schedule fires, briefly. */
function whenText(spec: ScheduleSpecDescription | undefined): string {
  const first = (ranges: readonly { start: number }[] | undefined): string =>
    String(ranges?.[0]?.start ?? 0).padStart(2, '0');
  const calendars = (spec?.calendars ?? []).map((c) => `at ${first(c.hour)}:${first(c.minute)}`);
  const intervals = (spec?.intervals ?? []).map((i) => `every ${Math.round(Number(i.every) / 1000)}s`);
  return [...calendars, ...intervals].join(', ') + (spec?.timezone !== undefined ? ` (${spec.timezone})` : '');
}

export async function scheduleListCommand(o: { json?: boolean }): Promise<number> {
  return withClient(async (client) => {
    const rows: { scheduleId: string; workflowType: string; when: string; paused: boolean; nextRun: string }[] = [];
    for await (const s of client.schedule.list()) {
      rows.push({
        scheduleId: s.scheduleId,
        workflowType: s.action?.type === 'startWorkflow' ? s.action.workflowType : '',
        when: whenText(s.spec),
        paused: s.state.paused,
        nextRun: s.info?.nextActionTimes[0]?.toISOString() ?? '',
      });
    }
    if (o.json === true) printJson(rows);
    else {
      const table = cliTable(['schedule', 'workflow', 'when', 'paused', 'next run']);
      for (const r of rows) table.push([r.scheduleId, r.workflowType, r.when, r.paused ? 'yes' : '', r.nextRun]);
      console.log(rows.length > 0 ? table.toString() : 'no schedules');
    }
    return ExitCode.Ok;
  });
}

export async function scheduleDescribeCommand(id: string, o: { json?: boolean }): Promise<number> {
  return withClient(async (client) => {
    const d = await client.schedule.getHandle(id).describe().catch(notFound<never>(id));
    const recent = d.info.recentActions.map((a) => ({
      scheduledAt: a.scheduledAt.toISOString(),
      workflowId: a.action.workflow.workflowId,
    }));
    const summary = {
      scheduleId: id,
      paused: d.state.paused,
      note: d.state.note,
      spec: d.spec,
      policies: d.policies,
      nextActionTimes: d.info.nextActionTimes.map((t) => t.toISOString()),
      recentActions: recent,
      runningActions: d.info.runningActions.map((a) => a.workflow.workflowId),
    };
    if (o.json === true) printJson(summary);
    else {
      console.log(
        `schedule ${id}${d.state.paused ? ' (paused)' : ''}${d.state.note !== undefined ? ` — ${d.state.note}` : ''}`,
      );
      console.log(`  when: ${JSON.stringify(d.spec)}`);
      console.log(
        `  overlap ${d.policies.overlap}, catch-up window ${d.policies.catchupWindow} ms, pause on failure ${String(d.policies.pauseOnFailure)}`,
      );
      console.log(`  next: ${summary.nextActionTimes.slice(0, 3).join(', ') || '-'}`);
      for (const r of recent) console.log(`  ran: ${r.scheduledAt} → ${r.workflowId}`);
    }
    return ExitCode.Ok;
  });
}

export async function scheduleActionCommand(
  id: string,
  action: 'pause' | 'unpause' | 'trigger' | 'delete',
): Promise<number> {
  return withClient(async (client) => {
    const handle = client.schedule.getHandle(id);
    const act = async (): Promise<void> => {
      if (action === 'pause') await handle.pause('paused from the stream-collab CLI');
      else if (action === 'unpause') await handle.unpause('unpaused from the stream-collab CLI');
      else if (action === 'trigger') await handle.trigger('ALLOW_ALL');
      else await handle.delete();
    };
    await act().catch(notFound<never>(id));
    console.log(`${action === 'trigger' ? 'triggered' : `${action}d`} schedule ${id}`);
    return ExitCode.Ok;
  });
}

/** `schedule backfill <id> --from --to`: the runs the schedule would have started in that time, started now. */
export async function scheduleBackfillCommand(
  id: string,
  o: { from: string; to: string; overlap?: string },
): Promise<number> {
  const start = timeArg('--from', o.from);
  const end = timeArg('--to', o.to, true);
  if (end <= start) throw new UsageError(`--to: expected a time after --from (${o.from}), got "${o.to}"`);
  const overlap = o.overlap ?? 'allow-all';
  if (!isOverlap(overlap))
    throw new UsageError(`--overlap: expected one of ${OVERLAP_POLICIES.join(' | ')}, got "${overlap}"`);
  return withClient(async (client) => {
    await client.schedule
      .getHandle(id)
      .backfill({ start, end, overlap: overlapPolicy(overlap) })
      .catch(notFound<never>(id));
    console.log(`backfilling schedule ${id} from ${start.toISOString()} to ${end.toISOString()}`);
    return ExitCode.Ok;
  });
}

/** A day (`2026-11-01`, its start; with `endOfDay`, its end) or an ISO time. */
function timeArg(flag: string, text: string, endOfDay = false): Date {
  const day = parseDay(text);
  if (day !== undefined) return endOfDay ? new Date(day.getTime() + 86_400_000 - 1) : day;
  const at = /^\d{4}-\d{2}-\d{2}T/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(at)) throw new UsageError(`${flag}: expected a date (YYYY-MM-DD) or an ISO time, got "${text}"`);
  return new Date(at);
}

/** schedules.yaml: declarative schedules for `schedule sync`. */
const ScheduleEntry = contract({
  id: z.string().regex(/^[A-Za-z0-9._-]+$/, { message: 'expected letters, digits, ".", "_" and "-"' }),
  flow: z.enum(FLOW_NAMES),
  /** A YAML file with the chain input, relative to schedules.yaml. */
  input: nonEmpty,
  cron: nonEmpty.optional(),
  every: nonEmpty.optional(),
  timezone: nonEmpty.optional(),
  overlap: z.enum(OVERLAP_POLICIES).optional(),
  catchup_window: nonEmpty.optional(),
  pause_on_failure: z.boolean().optional(),
  partition: contract({ grain: z.enum(GRAINS), lag: z.number().int().nonnegative() }).optional(),
}).superRefine((value, ctx) => {
  if ((value.cron === undefined) === (value.every === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['cron'], message: 'expected exactly one of cron or every' });
  }
});
const SchedulesFile = contract({ schedules: z.array(ScheduleEntry) });

export async function scheduleSyncCommand(o: { file: string; json?: boolean }): Promise<number> {
  const file = await readCheckedYaml(o.file, SchedulesFile, {
    noun: 'schedules file',
    valid: 'a valid schedules file',
  });
  const base = dirname(resolve(o.file));
  const specs: ScheduleSpec[] = [];
  const seen = new Set<string>();
  for (const [i, entry] of file.schedules.entries()) {
    if (seen.has(entry.id)) throw new UsageError(`${o.file}: schedules[${i}].id: "${entry.id}" is listed twice`);
    seen.add(entry.id);
    const inputFile = resolve(base, entry.input);
    const contract = FLOWS[entry.flow].handoffs[0]?.input ?? 'schema-to-stream';
    const payload = await readContractFile(contract, inputFile, {
      noun: `schedules[${i}].input`,
      valid: `a valid ${contract} payload (schedules[${i}].input)`,
    });
    const overlap: Overlap = entry.overlap ?? 'skip';
    specs.push({
      id: entry.id,
      flow: entry.flow,
      payload,
      ...(entry.cron !== undefined ? { cron: entry.cron } : {}),
      ...(entry.every !== undefined ? { everyMs: duration(`schedules[${i}].every`, entry.every) } : {}),
      ...(entry.timezone !== undefined ? { timezone: entry.timezone } : {}),
      overlap,
      ...(entry.catchup_window !== undefined
        ? { catchupWindowMs: duration(`schedules[${i}].catchup_window`, entry.catchup_window) }
        : {}),
      pauseOnFailure: entry.pause_on_failure === true,
      partition: entry.partition ?? { grain: 'day', lag: 1 },
      taskQueue: taskQueueFromEnv(),
    });
  }
  return withClient(async (client: Client) => {
    const result = await serverChecked(() => syncSchedules(client, specs, resolve(o.file)));
    if (o.json === true) printJson(result);
    else
      console.log(
        `created ${result.created.length}, updated ${result.updated.length}, unchanged ${result.unchanged.length}, deleted ${result.deleted.length}` +
          (result.deleted.length > 0 ? ` (${result.deleted.join(', ')})` : ''),
      );
    return ExitCode.Ok;
  });
}
