import { FailureType } from '../identity/index.js';
import { HandoffError } from '../agents/transport.js';

/**
 * Fails the handoff, not retried, when a payload is above the hard limit. Checked in the activity before it
 * returns: past this point the SDK would fail the attempt with a retryable error and the agent would be
 * called again for the same oversized answer.
 */
export function checkPayloadSize(what: string, value: unknown, limitBytes: number | undefined): void {
  if (limitBytes === undefined) return;
  const bytes = Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
  if (bytes > limitBytes) {
    throw new HandoffError(
      FailureType.PayloadsTooLarge,
      `${what} is ${bytes} bytes, above the hard limit of ${limitBytes} bytes (STREAM_COLLAB_PAYLOAD_HARD_LIMIT)`,
      false,
    );
  }
}
