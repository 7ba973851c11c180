import type { AgentName } from '../../flows.js';
import type { ReadChain } from '../../etl/plan.js';
import type { Envelope } from '../transport.js';

export interface BuiltinContext {
  readonly signal: AbortSignal;
  /** DuckDB file the Schema and Radar agents and the pipeline stages work on. */
  readonly warehouse: string;
  /** The worker's environment: where connections' `url_env` and `token_env` are looked up. */
  readonly env: NodeJS.ProcessEnv;
  /** The worker's output folder (artifacts, dashboards). */
  readonly outDir: string;
  /** The latest run of a chain and what it recorded, by workflow id (for plans built from other chains). */
  readonly readChain: (workflowId: string) => Promise<ReadChain>;
}

/** A reference agent running in the worker process. It may add `artifacts` to its reply. */
export type BuiltinAgent = (envelope: Envelope, ctx: BuiltinContext) => Promise<Record<string, unknown>>;

export type BuiltinAgents = Readonly<Partial<Record<AgentName, BuiltinAgent>>>;

/** A file an agent hands back with its reply; the activity writes it under the output folder. */
export interface ArtifactContent {
  readonly name: string;
  readonly content: string;
}
