import type { Client } from '@temporalio/client';
import { DEFAULT_ADDRESS } from '../identity/index.js';
import { connectClient, targetFromEnv, type ServerTarget } from '../temporal/connection.js';

/** Runs `fn` with a client on the server from the environment, closing the connection afterwards. */
export async function withClient<T>(fn: (client: Client, target: ServerTarget) => Promise<T>): Promise<T> {
  const target = targetFromEnv();
  const { client, close } = await connectClient(target);
  try {
    return await fn(client, target);
  } finally {
    await close();
  }
}

/** The Temporal UI base URL: TEMPORAL_UI_URL, or the dev server's default when talking to a local dev server. */
export function uiBase(target: ServerTarget, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.TEMPORAL_UI_URL !== undefined && env.TEMPORAL_UI_URL !== '') return env.TEMPORAL_UI_URL;
  return target.connection.address === DEFAULT_ADDRESS || target.connection.address === '127.0.0.1:7233'
    ? 'http://localhost:8233'
    : undefined;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
