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
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

/** Failure types Temporal must never retry, whatever an agent's retry policy says. */
export const NON_RETRYABLE: readonly FailureType[] = [FailureType.ContractViolation, FailureType.AgentRejected];
