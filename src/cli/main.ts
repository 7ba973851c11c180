import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { ServerUnreachableError } from '../temporal/unreachable';
import { ExitCode, UsageError } from './errors';

/** The `stream-collab` command. Exit codes: 0 ok, 1 workflow failed, 2 bad usage or input, 3 server unreachable. */
export function program(): Command {
  const cmd = new Command('stream-collab')
    .description(
      'Durable handoff chains between data-pipeline agents, on Temporal.\nServer from TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE / TEMPORAL_API_KEY / TEMPORAL_TLS_* (default localhost:7233).',
    )
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');

  const chainOptions = (c: Command): Command =>
    c
      .requiredOption('-i, --input <file>', "the first handoff's payload, as YAML")
      .option('--id <workflowId>', 'workflow id (default: flow/subject/[partition/]digest of the input)')
      .option('--partition <partition>', 'the slice of data this chain covers, e.g. date_key=2026-11-01')
      .option('--json', 'print JSON');

  chainOptions(cmd.command('run <flow>').description('start a chain and wait for it; prints the chain')).action(
    async (flow: string, opts: { input: string; id?: string; partition?: string; json?: boolean }) => {
      // Commands load on use, so `--help` and `flows` stay quick.
      process.exitCode = await (await import('./run')).runCommand(flow, opts);
    },
  );
  chainOptions(cmd.command('start <flow>').description('start a chain and return its workflow id')).action(
    async (flow: string, opts: { input: string; id?: string; partition?: string; json?: boolean }) => {
      process.exitCode = await (await import('./run')).startCommand(flow, opts);
    },
  );
  cmd
    .command('show <workflowId>')
    .description('the chain so far (while running) or its result')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      process.exitCode = await (await import('./show')).showCommand(id, opts);
    });
  cmd
    .command('flows')
    .description('the flows, their agents and their input contracts')
    .addOption(new Option('--agents <file>', 'agents file').env('AGENTS_FILE'))
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean; agents?: string }) => {
      process.exitCode = await (await import('./flows')).flowsCommand(opts);
    });
  return cmd;
}

/** Parses argv and runs; returns the exit code instead of exiting, so tests can call it. */
export async function main(argv: readonly string[]): Promise<number> {
  process.exitCode = undefined;
  try {
    await program().parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.Ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help'
        ? ExitCode.Ok
        : ExitCode.Usage;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`error: ${err.message}\n`);
      return ExitCode.Usage;
    }
    if (err instanceof ServerUnreachableError) {
      process.stderr.write(
        `error: ${err.message}\n  set TEMPORAL_ADDRESS, or start a dev server: temporal server start-dev\n`,
      );
      return ExitCode.Unreachable;
    }
    process.stderr.write(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return ExitCode.WorkflowFailed;
  } finally {
    process.exitCode = undefined;
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}
