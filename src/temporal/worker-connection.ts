import { NativeConnection } from '@temporalio/worker';
import type { ServerTarget } from './connection.js';
import { ServerUnreachableError } from './unreachable.js';

/** A worker connection on the target; call `close()` in `finally`. */
export async function connectWorker(target: ServerTarget): Promise<NativeConnection> {
  try {
    return await NativeConnection.connect(target.connection);
  } catch (err) {
    throw new ServerUnreachableError(target.connection.address, err);
  }
}
