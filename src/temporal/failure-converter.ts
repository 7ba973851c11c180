import { DefaultFailureConverter } from '@temporalio/common';

/**
 * Failure messages and stack traces travel in the failure's encoded attributes, a payload, so the payload codec
 * encrypts them with everything else. Used only when a key is configured, and then also inside the workflow
 * sandbox (the encrypted workflow bundle), where a chain's own failure message repeats its agent's error.
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
