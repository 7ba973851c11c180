import type { Command } from 'commander';
import type { BackfillStartOptions } from './backfill';
import type { ReplayOptions } from './replay';

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
      process.exitCode = await (await import('./backfill')).backfillStartCommand(flow, opts);
    });
  backfill
    .command('status <backfillId>')
    .description('counts and per-partition status with the last error')
    .option('--watch', 'follow it with a live progress bar until it ends')
    .option('--all', 'list every partition, not only those that did not succeed')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { watch?: boolean; json?: boolean; all?: boolean }) => {
      process.exitCode = await (await import('./backfill')).backfillStatusCommand(id, opts);
    });
  for (const which of ['pause', 'resume'] as const) {
    backfill
      .command(`${which} <backfillId>`)
      .description(which === 'pause' ? 'start no new partitions (running chains go on)' : 'start partitions again')
      .action(async (id: string) => {
        process.exitCode = await (await import('./backfill')).backfillSignalCommand(id, which);
      });
  }
  backfill
    .command('cancel <backfillId>')
    .description('cancel the backfill and its running chains')
    .action(async (id: string) => {
      process.exitCode = await (await import('./backfill')).backfillCancelCommand(id);
    });
  backfill
    .command('retry-failed <backfillId>')
    .description('run the failed partitions of a stopped backfill again')
    .option('--wait', 'wait for it')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { wait?: boolean; json?: boolean }) => {
      process.exitCode = await (await import('./backfill')).backfillRetryFailedCommand(id, opts);
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
      process.exitCode = await (await import('./replay')).replayCommand(id, opts);
    });
}
