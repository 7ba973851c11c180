import { extract, publish, transform } from '../../etl/stages.js';
import { builder } from './builder.js';
import { canvas } from './canvas.js';
import { radar } from './radar.js';
import { scaffold } from './scaffold.js';
import { schema } from './schema.js';
import { stream } from './stream.js';
import type { BuiltinAgents } from './types.js';

export type { BuiltinAgent, BuiltinAgents, BuiltinContext } from './types.js';

/** The reference agents, by the agent name they stand in for. */
export const BUILTIN_AGENTS: BuiltinAgents = {
  stream,
  builder,
  schema,
  canvas,
  radar,
  scaffold,
  extract,
  transform,
  publish,
};
