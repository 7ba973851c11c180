import { Option, type Command } from 'commander';

/**
 * run, start, show, flows. Each action imports its module on use, so `--help` never loads the Temporal SDK.
 */
export function registerChainCommands(cmd: Command): void {
  const chainOptions = (c: Command): Command =>
    c
      .requiredOption('-i, --input <file>', "the first handoff's payload, as YAML")
      .option('--id <workflowId>', 'workflow id (default: flow/subject/[partition/]digest of the input)')
      .option('--partition <partition>', 'the slice of data this chain covers, e.g. date_key=2026-11-01')
      .option('--json', 'print JSON');

  chainOptions(cmd.command('run <flow>').description('start a chain and wait for it; prints the chain')).action(
    async (flow: string, opts: { input: string; id?: string; partition?: string; json?: boolean }) => {
      // Commands load on use, so `--help` and `flows` stay quick.
      process.exitCode = await (await import('./run.js')).runCommand(flow, opts);
    },
  );
  chainOptions(cmd.command('start <flow>').description('start a chain and return its workflow id')).action(
    async (flow: string, opts: { input: string; id?: string; partition?: string; json?: boolean }) => {
      process.exitCode = await (await import('./run.js')).startCommand(flow, opts);
    },
  );
  cmd
    .command('show <workflowId>')
    .description('the chain so far (while running) or its result')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      process.exitCode = await (await import('./show.js')).showCommand(id, opts);
    });
  cmd
    .command('flows')
    .description('the flows, their agents and their input contracts')
    .addOption(new Option('--agents <file>', 'agents file').env('AGENTS_FILE'))
    .option('--contract <name>', 'print this contract as JSON Schema, with an example payload')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean; agents?: string; contract?: string }) => {
      process.exitCode = await (await import('./flows.js')).flowsCommand(opts);
    });
}
