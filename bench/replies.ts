import type { BuiltinAgents } from '../src/agents/builtin/index.js';

/**
 * The chain input and the canned agent replies both sides use, so the bench measures orchestration only.
 * Each reply satisfies its contract (stream-to-builder, builder-output), so our contract checks pass.
 */
export const CHAIN_PAYLOAD: Record<string, unknown> = {
  source_tables: ['orders', 'customers', 'products'],
  target_model: 'fct_sales',
};

export const STREAM_REPLY: Record<string, unknown> = {
  connector_requirements: [{ api: 'orders_api', method: 'incremental', key: 'updated_at' }],
};

export const BUILDER_REPLY: Record<string, unknown> = {
  connectors: [
    {
      name: 'orders',
      api: 'orders_api',
      table: 'raw_orders',
      method: 'incremental',
      cursor: { field: 'updated_at', initial: '1970-01-01T00:00:00Z' },
      extraction_sql: 'SELECT * FROM orders WHERE updated_at > :cursor ORDER BY updated_at',
    },
  ],
};

/** Every receiving agent bound (parseAgentsFile insists), built-in, with the default timeout and retry policy. */
export const AGENTS_YAML = `agents:
  schema: { transport: builtin }
  stream: { transport: builtin }
  builder: { transport: builtin }
  canvas: { transport: builtin }
  radar: { transport: builtin }
  scaffold: { transport: builtin }
`;

/** The same bindings with every agent's handoffs run as local activities. */
export const LOCAL_AGENTS_YAML = AGENTS_YAML.replace(
  /\{ transport: builtin \}/g,
  '{ transport: builtin, local: true }',
);

/** Stream and Builder that answer at once with the canned replies. */
export const NOOP_AGENTS: BuiltinAgents = {
  stream: async () => STREAM_REPLY,
  builder: async () => BUILDER_REPLY,
};
