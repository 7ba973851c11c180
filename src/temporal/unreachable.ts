/** Thrown when no connection can be made; the CLI exits 3 on it. */
export class ServerUnreachableError extends Error {
  constructor(
    readonly address: string,
    cause: unknown,
  ) {
    super(`cannot reach the Temporal server at ${address}: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = 'ServerUnreachableError';
  }
}
