import type { Command } from 'commander';
import type { BackfillStartOptions } from './backfill.js';
import type { ReplayOptions } from './replay.js';
import type { ScheduleCreateOptions } from './schedule.js';

/** backfill, replay, schedule: running flows over many partitions and times. Actions import their modules on use. */
export function registerOpsCommands(cmd: Command): void {
  const backfill = cmd.command('backfill').description('run one flow for many partitions');
  backfill
    .command('start <flow>')
    .description('start a backfill: one chain per partition, at most --max-concurrent at once')
    .requiredOption('-i, --input <file>', "the chains' first payload, as YAML")
    .option('--from <date>', 'first day, YYYY-MM-DD')
    .option('--to <date>', 'last day (included), YYYY-MM-DD')
    .option('--grain <grain>', 'day | week | month (default day)')
    .option('--partitions <list>', 'explicit partitions, comma-separated, instead of a range')
    .option('--max-concurrent <n>', 'chains at once, 1-500', '8')
    .option('--mode <mode>', 'missing (skip succeeded) | failed (only failed) | all', 'missing')
    .option('--id <workflowId>', 'backfill id (default backfill/<flow>/<subject>/<range>/<digest>)')
    .option('--dry-run', 'list what would run and what would be skipped, and why; start nothing')
    .option('--wait', 'wait for the backfill, with a progress bar')
    .option('--json', 'print JSON')
    .action(async (flow: string, opts: BackfillStartOptions) => {
      process.exitCode = await (await import('./backfill.js')).backfillStartCommand(flow, opts);
    });
  backfill
    .command('status <backfillId>')
    .description('counts and per-partition status with the last error')
    .option('--watch', 'follow it with a live progress bar until it ends')
    .option('--all', 'list every partition, not only those that did not succeed')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { watch?: boolean; json?: boolean; all?: boolean }) => {
      process.exitCode = await (await import('./backfill.js')).backfillStatusCommand(id, opts);
    });
  for (const which of ['pause', 'resume'] as const) {
    backfill
      .command(`${which} <backfillId>`)
      .description(which === 'pause' ? 'start no new partitions (running chains go on)' : 'start partitions again')
      .action(async (id: string) => {
        process.exitCode = await (await import('./backfill.js')).backfillSignalCommand(id, which);
      });
  }
  backfill
    .command('cancel <backfillId>')
    .description('cancel the backfill and its running chains')
    .action(async (id: string) => {
      process.exitCode = await (await import('./backfill.js')).backfillCancelCommand(id);
    });
  backfill
    .command('retry-failed <backfillId>')
    .description('run the failed partitions of a stopped backfill again')
    .option('--wait', 'wait for it')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { wait?: boolean; json?: boolean }) => {
      process.exitCode = await (await import('./backfill.js')).backfillRetryFailedCommand(id, opts);
    });

  cmd
    .command('replay [workflowId]')
    .description(
      're-drive a recorded chain from one handoff on, reusing the recorded outputs before it; or, with --flow and --since, every completed chain of a flow',
    )
    .option('--from-step <step>', 'the step number, or the agent that receives it (e.g. builder)')
    .option('--override <file>', 'replace the payload handed into that step (YAML, checked against its contract)')
    .option('--flow <flow>', 'bulk: replay the completed chains of this flow')
    .option('--since <time>', 'bulk: started at or after (2026-11-01, 2026-11-01T08:00:00Z, or an age: 2d)')
    .option('--until <time>', 'bulk: started at or before')
    .option('--max-concurrent <n>', 'bulk: replays at once', '4')
    .option('--json', 'print JSON')
    .action(async (id: string | undefined, opts: ReplayOptions) => {
      process.exitCode = await (await import('./replay.js')).replayCommand(id, opts);
    });

  const schedule = cmd
    .command('schedule')
    .description('recurring flows: each run covers the partition its scheduled time points at');
  schedule
    .command('create <scheduleId> <flow>')
    .description('create a schedule that starts the flow on a cron or an interval')
    .requiredOption('-i, --input <file>', "the chains' first payload, as YAML")
    .option('--cron <expr>', 'cron expression, e.g. "0 2 * * *"')
    .option('--every <duration>', 'interval, e.g. 1h or 1d')
    .option('--timezone <tz>', 'IANA time zone for --cron (default UTC)')
    .option('--overlap <policy>', 'skip | buffer-one | buffer-all | cancel-other | terminate-other | allow-all', 'skip')
    .option('--catchup-window <duration>', 'how far back missed runs are caught up after downtime (default 1y)')
    .option('--pause-on-failure', 'pause the schedule when a run fails')
    .option('--grain <grain>', 'partition grain of each run: day | week | month', 'day')
    .option('--lag <n>', 'each run covers the partition this many grains before its scheduled time', '1')
    .option('--json', 'print JSON')
    .action(async (id: string, flow: string, opts: ScheduleCreateOptions) => {
      process.exitCode = await (await import('./schedule.js')).scheduleCreateCommand(id, flow, opts);
    });
  schedule
    .command('list')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      process.exitCode = await (await import('./schedule.js')).scheduleListCommand(opts);
    });
  schedule
    .command('describe <scheduleId>')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      process.exitCode = await (await import('./schedule.js')).scheduleDescribeCommand(id, opts);
    });
  for (const action of ['pause', 'unpause', 'trigger', 'delete'] as const) {
    schedule.command(`${action} <scheduleId>`).action(async (id: string) => {
      process.exitCode = await (await import('./schedule.js')).scheduleActionCommand(id, action);
    });
  }
  schedule
    .command('backfill <scheduleId>')
    .description('start now the runs the schedule would have started between --from and --to')
    .requiredOption('--from <time>', 'YYYY-MM-DD (its start) or an ISO time')
    .requiredOption('--to <time>', 'YYYY-MM-DD (its end) or an ISO time')
    .option('--overlap <policy>', 'overlap policy for these runs', 'allow-all')
    .action(async (id: string, opts: { from: string; to: string; overlap?: string }) => {
      process.exitCode = await (await import('./schedule.js')).scheduleBackfillCommand(id, opts);
    });
  schedule
    .command('sync')
    .description('create or update the schedules of a file; delete only those it created that the file no longer lists')
    .requiredOption('--file <schedules.yaml>', 'declarative schedules')
    .option('--json', 'print JSON')
    .action(async (opts: { file: string; json?: boolean }) => {
      process.exitCode = await (await import('./schedule.js')).scheduleSyncCommand(opts);
    });
}
