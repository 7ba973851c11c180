import type { AgentName } from '../flows.js';
import type { AgentBinding, AgentsFile } from './config.js';

/** What a workflow needs to know to call an agent: its timeout and retry policy. Plain data, safe in history. */
export interface AgentPolicy {
  readonly transport: AgentBinding['transport'];
  readonly timeoutMs: number;
  readonly maximumAttempts: number;
  readonly initialIntervalMs: number;
  readonly backoffCoefficient: number;
  readonly maximumIntervalMs: number;
  readonly retryInvalidOutput: boolean;
}

/** Defaults when neither the binding nor `defaults:` in agents.yaml say otherwise. */
export const DEFAULT_POLICY: Omit<AgentPolicy, 'transport'> = {
  timeoutMs: 30_000,
  maximumAttempts: 5,
  initialIntervalMs: 1_000,
  backoffCoefficient: 2,
  maximumIntervalMs: 60_000,
  retryInvalidOutput: false,
};

/** The agents a worker can reach, as bound in agents.yaml. */
export class AgentRegistry {
  constructor(private readonly file: AgentsFile) {}

  binding(agent: AgentName): AgentBinding | undefined {
    return this.file.agents[agent];
  }

  policy(agent: AgentName): AgentPolicy {
    const binding = this.binding(agent);
    if (binding === undefined) throw new Error(`agent ${agent} is not bound in agents.yaml`);
    const defaults = this.file.defaults;
    return {
      transport: binding.transport,
      timeoutMs: binding.timeout ?? defaults?.timeout ?? DEFAULT_POLICY.timeoutMs,
      maximumAttempts: binding.retry?.max_attempts ?? defaults?.retry?.max_attempts ?? DEFAULT_POLICY.maximumAttempts,
      initialIntervalMs:
        binding.retry?.initial_interval ?? defaults?.retry?.initial_interval ?? DEFAULT_POLICY.initialIntervalMs,
      backoffCoefficient: binding.retry?.backoff ?? defaults?.retry?.backoff ?? DEFAULT_POLICY.backoffCoefficient,
      maximumIntervalMs:
        binding.retry?.max_interval ?? defaults?.retry?.max_interval ?? DEFAULT_POLICY.maximumIntervalMs,
      retryInvalidOutput:
        binding.retry_invalid_output ?? defaults?.retry_invalid_output ?? DEFAULT_POLICY.retryInvalidOutput,
    };
  }
}
