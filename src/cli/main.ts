import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { startDevServerHint } from '../temporal/install-cli.js';
import { CodecConfigError } from '../temporal/codec-config-error.js';
import { ServerUnreachableError } from '../temporal/unreachable.js';
import { registerCodecServerCommand } from './codec-server.js';
import { registerDashboardCommand } from './dashboard.js';
import { ExitCode, UsageError } from './errors.js';
import { registerChainCommands } from './register-chains.js';
import { registerEventCommands } from './register-events.js';
import { registerInspectCommands } from './register-inspect.js';
import { registerOpsCommands } from './register-ops.js';

/**
 * The `stream-collab` command. Exit codes: 0 ok, 1 workflow failed, 2 bad usage or input, 3 server unreachable,
 * 70 the CLI itself failed (see {@link ExitCode}).
 */
export function program(): Command {
  const cmd = new Command('stream-collab')
    .description(
      'Durable handoff chains between data-pipeline agents, on Temporal.\nServer from TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE / TEMPORAL_API_KEY / TEMPORAL_TLS_* (default localhost:7233),\ntask queue from STREAM_COLLAB_TASK_QUEUE (default stream-collab), UI links under TEMPORAL_UI_URL.',
    )
    .option('--debug', 'print the stack trace of an unexpected error (also STREAM_COLLAB_DEBUG=1)')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');

  registerChainCommands(cmd);
  registerInspectCommands(cmd);
  registerOpsCommands(cmd);
  registerCodecServerCommand(cmd);
  registerDashboardCommand(cmd);
  registerEventCommands(cmd);
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
        `error: ${err.message}\n  set TEMPORAL_ADDRESS, or start a dev server: ${startDevServerHint()}\n`,
      );
      return ExitCode.Unreachable;
    }
    // By name, not instanceof: importing the SDK here would load it for `--help` too.
    if (err instanceof Error && err.name === 'WorkflowFailedError') {
      process.stderr.write(`error: ${err.cause instanceof Error ? err.cause.message : err.message}\n`);
      return ExitCode.WorkflowFailed;
    }
    process.stderr.write(crashReport(err, debugging(argv)));
    return ExitCode.Software;
  } finally {
    process.exitCode = undefined;
  }
}

/** `--debug` anywhere on the command line (commander may not have parsed it when the error came), or the env. */
function debugging(argv: readonly string[]): boolean {
  return argv.includes('--debug') || process.env.STREAM_COLLAB_DEBUG === '1';
}

/** An unexpected error in one line, or with its stack (and causes) when debugging. */
export function crashReport(err: unknown, debug: boolean): string {
  const what = err instanceof Error ? `${err.name}: ${err.message.split('\n')[0] ?? ''}` : String(err);
  if (!debug) return `error: stream-collab failed unexpectedly: ${what}\n  (run with --debug for the stack trace)\n`;
  const stack = err instanceof Error ? (err.stack ?? what) : what;
  const cause = err instanceof Error && err.cause !== undefined ? `\ncaused by: ${crashReport(err.cause, true)}` : '';
  return `error: stream-collab failed unexpectedly: ${stack}\n${cause}`;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}
