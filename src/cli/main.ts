import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { CodecConfigError } from '../temporal/codec-config-error.js';
import { ServerUnreachableError } from '../temporal/unreachable.js';
import { registerCodecServerCommand } from './codec-server.js';
import { ExitCode, UsageError } from './errors.js';
import { registerChainCommands } from './register-chains.js';
import { registerInspectCommands } from './register-inspect.js';
import { registerOpsCommands } from './register-ops.js';

/** The `stream-collab` command. Exit codes: 0 ok, 1 workflow failed, 2 bad usage or input, 3 server unreachable. */
export function program(): Command {
  const cmd = new Command('stream-collab')
    .description(
      'Durable handoff chains between data-pipeline agents, on Temporal.\nServer from TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE / TEMPORAL_API_KEY / TEMPORAL_TLS_* (default localhost:7233).',
    )
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');

  registerChainCommands(cmd);
  registerInspectCommands(cmd);
  registerOpsCommands(cmd);
  registerCodecServerCommand(cmd);
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
    if (err instanceof UsageError || err instanceof CodecConfigError) {
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
