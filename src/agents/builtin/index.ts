import { builder } from './builder';
import { canvas } from './canvas';
import { radar } from './radar';
import { scaffold } from './scaffold';
import { schema } from './schema';
import { stream } from './stream';
import type { BuiltinAgents } from './types';

export type { BuiltinAgent, BuiltinAgents, BuiltinContext } from './types';

/** The reference agents, by the agent name they stand in for. */
export const BUILTIN_AGENTS: BuiltinAgents = { stream, builder, schema, canvas, radar, scaffold };
