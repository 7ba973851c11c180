import { inject } from 'vitest';
import { runCli, type Finished } from './processes.js';

export { ROOT } from './processes.js';
export type CliResult = Finished;

/** Runs the real `stream-collab` command as a user would, against the test server. */
export function cli(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runCli(args, {
    ...process.env,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_NAMESPACE: inject('temporalNamespace'),
    ...env,
  });
}
