import { FailureType } from '../../identity/index.js';
import { HandoffError } from '../transport.js';

/** A built-in agent's refusal: the same AgentRejected failure an HTTP 422 or exit 65 gives. */
export function reject(agent: string, reason: string): HandoffError {
  return new HandoffError(FailureType.AgentRejected, `${agent} rejected the handoff: ${reason}`, false);
}

export function unsupported(agent: string, input: string, reply: string): HandoffError {
  return reject(agent, `the built-in ${agent} cannot turn ${input} into ${reply}`);
}
