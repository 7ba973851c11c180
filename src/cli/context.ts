import type { Client } from '@temporalio/client';
import type { ServerTarget } from '../temporal/connection.js';
import { uiBase, uiLink } from '../temporal/ui.js';

/**
 * Runs `fn` with a client on the server from the environment, closing the connection afterwards. The SDK is
 * loaded here, on first use, so commands that never talk to the server (`flows`, `--help`) start fast.
 */
export async function withClient<T>(fn: (client: Client, target: ServerTarget) => Promise<T>): Promise<T> {
  const { connectClient, targetFromEnv } = await import('../temporal/connection.js');
  const target = targetFromEnv();
  const { client, close } = await connectClient(target);
  try {
    return await fn(client, target);
  } finally {
    await close();
  }
}

/** The run's page in the Temporal UI of the target's server, when where that UI is can be known. */
export function runLink(target: ServerTarget, workflowId: string, runId: string): string | undefined {
  const base = uiBase(target.connection.address);
  return base !== undefined ? uiLink(base, target.namespace, workflowId, runId) : undefined;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
