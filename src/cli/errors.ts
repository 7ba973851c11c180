/** Exit codes of the stream-collab command. */
export const ExitCode = {
  Ok: 0,
  /** The workflow failed; its failure type and message were printed. */
  WorkflowFailed: 1,
  /** Bad usage or bad input; no workflow was started. */
  Usage: 2,
  /** The Temporal server could not be reached. */
  Unreachable: 3,
  /**
   * sysexits' EX_SOFTWARE: the CLI itself failed on something it did not expect (a bug, or a setting it could
   * not use). One line says what; `--debug` adds the stack trace. Not "workflow failed", not "bad input".
   */
  Software: 70,
} as const;

/** Bad usage or input: printed as is, exit 2, and nothing was started. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
