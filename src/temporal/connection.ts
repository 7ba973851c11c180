import { loadClientConnectConfig } from '@temporalio/envconfig';
import { Client, Connection, type ClientOptions } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { DEFAULT_ADDRESS, DEFAULT_NAMESPACE, TASK_QUEUE } from '../identity/index.js';
import { dataConverterFromEnv } from './data-converter.js';
import { ServerUnreachableError } from './unreachable.js';

export { ServerUnreachableError } from './unreachable.js';

/** Where the server is and how to authenticate: from env (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*) or a temporal.toml profile. */
export interface ServerTarget {
  readonly connection: NativeConnectionOptions & { address: string };
  readonly namespace: string;
}

/** The target from the environment and Temporal's client config file, with local defaults. */
export function targetFromEnv(env: NodeJS.ProcessEnv = process.env): ServerTarget {
  const overrideEnvVars = Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined),
  );
  const config = loadClientConnectConfig({ overrideEnvVars });
  return {
    connection: { ...config.connectionOptions, address: config.connectionOptions.address ?? DEFAULT_ADDRESS },
    namespace: config.namespace ?? DEFAULT_NAMESPACE,
  };
}

/** The task queue workers poll and chains start on: STREAM_COLLAB_TASK_QUEUE, or `stream-collab`. */
export function taskQueueFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return env.STREAM_COLLAB_TASK_QUEUE !== undefined && env.STREAM_COLLAB_TASK_QUEUE !== ''
    ? env.STREAM_COLLAB_TASK_QUEUE
    : TASK_QUEUE;
}

/** A local target (the embedded dev server). */
export function localTarget(address: string, namespace: string = DEFAULT_NAMESPACE): ServerTarget {
  return { connection: { address }, namespace };
}

/** A raw client connection (for the operator service); call `close()` in `finally`. */
export async function connectClientConnection(
  target: ServerTarget,
): Promise<{ connection: Connection; close: () => Promise<void> }> {
  try {
    const connection = await Connection.connect({ ...clientOptions(target), connectTimeout: '5s' });
    return { connection, close: () => connection.close() };
  } catch (err) {
    throw new ServerUnreachableError(target.connection.address, err);
  }
}

/**
 * A client on the target, with the project's data converter (codec keys and payload store from env) and any
 * interceptors (tracing, see telemetry.ts); call `close()` in `finally`.
 */
export async function connectClient(
  target: ServerTarget,
  options: Pick<ClientOptions, 'interceptors'> & { dataConverter?: DataConverter } = {},
): Promise<{ client: Client; close: () => Promise<void> }> {
  const { connection, close } = await connectClientConnection(target);
  const { dataConverter = dataConverterFromEnv(), ...rest } = options;
  return { client: new Client({ connection, namespace: target.namespace, dataConverter, ...rest }), close };
}

function clientOptions(target: ServerTarget) {
  const { address, tls, apiKey, metadata } = target.connection;
  return {
    address,
    ...(tls !== undefined ? { tls } : {}),
    ...(apiKey !== undefined ? { apiKey } : {}),
    ...(metadata !== undefined ? { metadata } : {}),
  };
}
