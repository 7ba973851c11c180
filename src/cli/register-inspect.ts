import { Option, type Command } from 'commander';

/** list, handoffs, diff, lineage, export: reading chains back. Actions import their modules on use. */
export function registerInspectCommands(cmd: Command): void {
  cmd
    .command('list')
    .description('chains found through Temporal visibility (search attributes StreamFlow, StreamPartition, …)')
    .option('--flow <flow>', 'only this flow')
    .option('--status <status>', 'running, completed, failed, canceled, terminated, timed-out or continued-as-new')
    .option('--partition <partition>', 'only chains of this partition, e.g. date_key=2026-11-01')
    .option('--since <when>', 'started since an ISO date or time, or an age: 30m, 1h, 2d, 1w')
    .option('--limit <n>', 'at most this many (default 50)')
    .option('--json', 'print JSON')
    .action(
      async (opts: {
        flow?: string;
        status?: string;
        partition?: string;
        since?: string;
        limit?: string;
        json?: boolean;
      }) => {
        process.exitCode = await (await import('./list.js')).listCommand(opts);
      },
    );
  cmd
    .command('handoffs <workflowId>')
    .description('every handoff with the full payload it carried and the reply it got (YAML)')
    .option('--yaml', 'print YAML (the default)')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { yaml?: boolean; json?: boolean }) => {
      process.exitCode = await (await import('./handoffs.js')).handoffsCommand(id, opts);
    });
  cmd
    .command('diff <workflowIdA> <workflowIdB>')
    .description('per handoff, the field-level differences between two chains’ payloads and replies')
    .option('--json', 'print JSON')
    .action(async (a: string, b: string, opts: { json?: boolean }) => {
      process.exitCode = await (await import('./diff.js')).diffCommand(a, b, opts);
    });
  cmd
    .command('lineage <workflowId>')
    .description('the chain as a diagram; for a backfill, its partitions and their status')
    .addOption(new Option('--format <format>', 'mermaid or svg').choices(['mermaid', 'svg']).default('mermaid'))
    .option('--out <file>', 'write to this file instead of stdout')
    .action(async (id: string, opts: { format?: string; out?: string }) => {
      process.exitCode = await (await import('./lineage.js')).lineageCommand(id, opts);
    });
  cmd
    .command('export <workflowId>')
    .description('the raw event history as JSON, replayable with Worker.runReplayHistories')
    .requiredOption('--out <file>', 'the JSON file to write')
    .action(async (id: string, opts: { out: string }) => {
      process.exitCode = await (await import('./export.js')).exportCommand(id, opts);
    });
}
