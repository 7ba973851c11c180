import type { AgentName } from '../../flows.js';
import type { Envelope } from '../transport.js';

export interface BuiltinContext {
  readonly signal: AbortSignal;
  /** DuckDB file the Schema and Radar agents work on. */
  readonly warehouse: string;
}

/** A reference agent running in the worker process. It may add `artifacts` to its reply. */
export type BuiltinAgent = (envelope: Envelope, ctx: BuiltinContext) => Promise<Record<string, unknown>>;

export type BuiltinAgents = Readonly<Partial<Record<AgentName, BuiltinAgent>>>;

/** A file an agent hands back with its reply; the activity writes it under the output folder. */
export interface ArtifactContent {
  readonly name: string;
  readonly content: string;
}
