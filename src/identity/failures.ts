import { field } from '../field.js';

/**
 * The failure types a handoff can end with (the ApplicationFailure `type`). Tests, the CLI and users'
 * retry policies key on these names, so they are part of the public contract: do not rename them.
 */
export const FailureType = {
  /** A payload broke its contract before it reached the agent. Never retried. */
  ContractViolation: 'ContractViolation',
  /** The agent said no (HTTP 400/409/422 or another 4xx, exit 65, a built-in's refusal). Never retried. */
  AgentRejected: 'AgentRejected',
  /** The agent could not be reached or failed (408, 429, 5xx, resets, other exit codes). Retried. */
  AgentUnavailable: 'AgentUnavailable',
  /** The agent did not answer within its timeout. Retried. */
  AgentTimeout: 'AgentTimeout',
  /** The agent's reply breaks the reply contract. Retried only if its binding says `retry_invalid_output`. */
  InvalidAgentOutput: 'InvalidAgentOutput',
  /**
   * An error no transport classified (a bug, a file lock another process holds, …): the activity wraps it so
   * the chain records a type and the real attempt count, never a bare `Error` with 0 attempts. Retried, since
   * what was not understood may well pass next time.
   */
  HandoffFailed: 'HandoffFailed',
  /**
   * The chain's checks ran and some failed (Radar's reply has `failed` checks): every agent did its job, but
   * the data is wrong, so the chain fails instead of completing. The workflow decides this; nothing to retry.
   */
  DataQualityFailed: 'DataQualityFailed',
  /**
   * Only in an attempt's record, never a chain's end: the attempt stopped without reporting why, because
   * Temporal timed it out or its worker was lost.
   */
  AttemptLost: 'AttemptLost',
  /**
   * A payload too large to carry: an agent's reply above STREAM_COLLAB_PAYLOAD_HARD_LIMIT (checked by the
   * activity before it returns; below it, large payloads travel by reference), or Temporal's own type of the
   * same name ([TMPRL1103], set by the SDK) for a payload above the server's limit. Retrying sends the same
   * payload again, so it is never retried.
   */
  PayloadsTooLarge: 'PayloadsTooLarge',
  /**
   * A pipeline's extract found a table's cursor moved by another run between reading it and committing: it wrote
   * nothing, and a retry reads from the new cursor. Retried.
   */
  CursorMoved: 'CursorMoved',
  /** dbt ran and a model failed (bad SQL, a missing column): running it again fails again. Never retried. */
  TransformFailed: 'TransformFailed',
  /** dbt could not run (not installed, crashed, killed, no results): retried. */
  TransformUnavailable: 'TransformUnavailable',
  /** The shop refused an order command (ship an unpaid order, refund more than was paid): no event was written. */
  CommandRejected: 'CommandRejected',
  /** A projection swap that must not happen: an as-of version, or no previous version to roll back to. */
  SwapRefused: 'SwapRefused',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

/** Failure types Temporal must never retry, whatever an agent's retry policy says. */
export const NON_RETRYABLE: readonly FailureType[] = [
  FailureType.ContractViolation,
  FailureType.AgentRejected,
  FailureType.DataQualityFailed,
  FailureType.PayloadsTooLarge,
  FailureType.TransformFailed,
  FailureType.CommandRejected,
  FailureType.SwapRefused,
];

/** How many failed attempts a handoff record keeps: the last few say why, and history stays small. */
export const KEPT_ATTEMPT_FAILURES = 5;

/** A message kept in a failed attempt's record is cut to this many characters. */
const ATTEMPT_MESSAGE_CHARS = 500;

/**
 * One failed attempt of a handoff, as the chain records it: Temporal retries attempts inside one activity, so
 * the workflow would otherwise only ever see the last one.
 */
export interface AttemptFailure {
  readonly attempt: number;
  readonly type: string;
  readonly message: string;
  /** The HTTP status, for an HTTP agent's answer. */
  readonly status?: number;
}

/** An attempt's failure record, its message cut to a size fit for history. */
export function attemptFailure(attempt: number, type: string, message: string, status?: number): AttemptFailure {
  const cut = message.length > ATTEMPT_MESSAGE_CHARS ? `${message.slice(0, ATTEMPT_MESSAGE_CHARS - 3)}...` : message;
  return { attempt, type, message: cut, ...(status !== undefined ? { status } : {}) };
}

/**
 * The attempt failures carried in `value`'s `failures` (heartbeat or failure details), the last
 * {@link KEPT_ATTEMPT_FAILURES}; anything that is not one is left out, since details come from the wire.
 */
export function carriedFailures(value: unknown): AttemptFailure[] {
  const list = field(value, 'failures');
  if (!Array.isArray(list)) return [];
  const out: AttemptFailure[] = [];
  for (const item of list) {
    const attempt = field(item, 'attempt');
    const type = field(item, 'type');
    const message = field(item, 'message');
    const status = field(item, 'status');
    if (typeof attempt !== 'number' || typeof type !== 'string' || typeof message !== 'string') continue;
    out.push(attemptFailure(attempt, type, message, typeof status === 'number' ? status : undefined));
  }
  return out.slice(-KEPT_ATTEMPT_FAILURES);
}
