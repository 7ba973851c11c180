import { DefaultFailureConverter } from '@temporalio/common';

/**
 * Failure messages and stack traces travel in the failure's encoded attributes, a payload, so the payload codec
 * encrypts them with everything else. It also runs inside the workflow sandbox (bundled through
 * `failureConverterPath`), where a chain's own failure message repeats its agent's error: the bundle cannot see
 * whether a key is configured, so this is on whether or not one is. Without a key the attributes are plain JSON,
 * which every SDK client and the Web UI read as before.
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
