import { stat } from 'node:fs/promises';
import { STAGE_AGENTS, type AgentName } from '../flows.js';
import { loadAgentsFile, STAGE_DEFAULT_BINDING, type AgentBinding, type AgentsFile } from './config.js';

/**
 * How a chain calls one agent: the binding and its timeout and retry policy. A chain records it for each of
 * its agents when it starts and uses it for all its handoffs, retries included, so a chain never mixes two
 * versions of agents.yaml. Plain data, safe in history: a token is named (`token_env`), never held; a
 * command binding's `env:` values are recorded as written, so secrets belong in the worker's environment.
 */
export interface AgentPolicy {
  readonly transport: AgentBinding['transport'];
  readonly timeoutMs: number;
  readonly maximumAttempts: number;
  readonly initialIntervalMs: number;
  readonly backoffCoefficient: number;
  readonly maximumIntervalMs: number;
  readonly retryInvalidOutput: boolean;
  /** Absent in chains started before bindings were recorded: their handoffs use the live binding. */
  readonly binding?: AgentBinding;
}

/** Defaults when neither the binding nor `defaults:` in agents.yaml say otherwise. */
export const DEFAULT_POLICY: Omit<AgentPolicy, 'transport' | 'binding'> = {
  timeoutMs: 30_000,
  maximumAttempts: 5,
  initialIntervalMs: 1_000,
  backoffCoefficient: 2,
  maximumIntervalMs: 60_000,
  retryInvalidOutput: false,
};

/** The file a registry follows, and what it saw last. */
interface Source {
  readonly path: string;
  readonly env: NodeJS.ProcessEnv;
  readonly log: (message: string) => void;
  /** mtime, size and inode of the version loaded (or last refused), so an unchanged file is not re-read. */
  stamp: string;
}

/**
 * The agents a worker can reach, as bound in agents.yaml. Built from a file, it follows the file: `refresh()`
 * (run as each chain starts) re-reads it when its mtime, size or inode changed, so edits reach new chains
 * without a worker restart; an edit that does not parse keeps the last good version and logs why.
 */
export class AgentRegistry {
  #file: AgentsFile;
  readonly #source: Source | undefined;
  #refreshing: Promise<void> | undefined;

  /** A fixed configuration (tests, benchmarks); `fromFile` gives one that follows its file. */
  constructor(file: AgentsFile, source?: Source) {
    this.#file = file;
    this.#source = source;
  }

  /** Loads agents.yaml, throwing AgentsFileError if it is not valid: a worker never starts half-configured. */
  static async fromFile(
    path: string,
    options: { env?: NodeJS.ProcessEnv; log?: (message: string) => void } = {},
  ): Promise<AgentRegistry> {
    const env = options.env ?? process.env;
    const stamp = await stampOf(path);
    const file = await loadAgentsFile(path, env);
    return new AgentRegistry(file, { path, env, log: options.log ?? ((m) => console.error(m)), stamp });
  }

  /** Re-reads the file if it changed since it was last read; concurrent callers share one read. */
  async refresh(): Promise<void> {
    const source = this.#source;
    if (source === undefined) return;
    this.#refreshing ??= this.#reload(source).finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #reload(source: Source): Promise<void> {
    const stamp = await stampOf(source.path);
    if (stamp === source.stamp) return;
    source.stamp = stamp;
    try {
      this.#file = await loadAgentsFile(source.path, source.env);
      source.log(`agents: reloaded ${source.path}; chains started from now on use it`);
    } catch (err) {
      source.log(`agents: keeping the last good configuration, ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** The agent's binding; a pipeline stage not bound in the file runs built-in. */
  binding(agent: AgentName): AgentBinding | undefined {
    return this.#file.agents[agent] ?? (STAGE_AGENTS.includes(agent) ? STAGE_DEFAULT_BINDING : undefined);
  }

  policy(agent: AgentName): AgentPolicy {
    const binding = this.binding(agent);
    if (binding === undefined) throw new Error(`agent ${agent} is not bound in agents.yaml`);
    const defaults = this.#file.defaults;
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
      binding,
    };
  }
}

/** What tells one version of the file from the next without reading it; a missing file has its own stamp. */
async function stampOf(path: string): Promise<string> {
  try {
    const s = await stat(path);
    return `${s.mtimeMs}:${s.size}:${s.ino}`;
  } catch (err) {
    return `unreadable:${err instanceof Error ? err.message : String(err)}`;
  }
}
