import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { contract, nearestField, nonEmpty } from '../contracts/contract.js';
import type { ContractIssue } from '../contracts/issues.js';
import { parseYaml } from '../contracts/yaml.js';
import { FLOWS, STAGE_AGENTS, type AgentName } from '../flows.js';
import { field } from '../field.js';

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration as `250ms`, `30s`, `5m`, `1h`, `1d`, or a number of milliseconds; parsed to milliseconds. */
export const DurationMs = z.union([
  z.number().int().positive(),
  z
    .string()
    .regex(/^\d+(\.\d+)?\s*(ms|s|m|h|d)$/, { message: 'expected a duration such as "30s", "500ms", "5m" or "1d"' })
    .transform((text) => {
      const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(text);
      return Math.round(Number(match?.[1]) * (UNITS[match?.[2] ?? 'ms'] ?? 1));
    }),
]);

/** How Temporal retries one agent's handoffs. */
export const RetrySettings = contract({
  max_attempts: z.number().int().min(1, { message: 'expected at least 1 attempt' }).optional(),
  initial_interval: DurationMs.optional(),
  backoff: z.number().min(1, { message: 'expected a backoff coefficient of at least 1' }).optional(),
  max_interval: DurationMs.optional(),
});

const common = {
  timeout: DurationMs.optional(),
  retry: RetrySettings.optional(),
  /**
   * Retry invalid output of any kind (not JSON or YAML, a bad `artifacts` list, a reply that breaks its contract:
   * an agent that is sometimes wrong) instead of failing at once.
   */
  retry_invalid_output: z.boolean().optional(),
};

export const BuiltinBinding = contract({
  transport: z.literal('builtin'),
  /** DuckDB file the built-in Schema and Radar agents use; defaults to `<out>/warehouse.duckdb`. */
  warehouse: nonEmpty.optional(),
  /**
   * Run this agent's handoffs as Temporal local activities, on the worker that runs the chain: no activity task
   * round trip through the server, so an all-local chain takes a fraction of the time. Attempts retry with the
   * same policy (`timeout`, `retry`) and failure types; the UI shows each handoff as a marker instead of an
   * activity, and a retried handoff keeps only its last failure (local attempts have no heartbeat to carry the
   * earlier ones). Read when a chain starts, like the rest of the binding, so chains in flight keep their mode.
   */
  local: z.boolean().optional(),
  ...common,
});

export const HttpBinding = contract({
  transport: z.literal('http'),
  url: z.url({ protocol: /^https?$/, message: 'expected an http:// or https:// URL' }),
  /** Name of the environment variable holding the bearer token; the token itself never goes in this file. */
  token_env: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'expected an environment variable name' })
    .optional(),
  ...common,
});

/** What a command agent reads and prints: `yaml` (the default) or `json`, for agents without a YAML library. */
export const CommandFormat = z.enum(['yaml', 'json']);
export type CommandFormat = z.infer<typeof CommandFormat>;

export const CommandBinding = contract({
  transport: z.literal('command'),
  /** The program and its arguments; run without a shell. */
  command: z
    .array(nonEmpty)
    .min(1, { message: 'expected the program and its arguments, e.g. ["python3", "agent.py"]' }),
  cwd: nonEmpty.optional(),
  env: z.record(z.string(), z.string()).optional(),
  /** How the payload goes in on stdin and the reply comes back on stdout: YAML (the default) or JSON. */
  format: CommandFormat.optional(),
  ...common,
});

export const AgentBinding = z.discriminatedUnion('transport', [BuiltinBinding, HttpBinding, CommandBinding]);
export type AgentBinding = z.infer<typeof AgentBinding>;

/**
 * A binding as written in agents.yaml. The transport picks which fields are known, so a misspelt `transport`
 * (`trasnport`) would read as "missing transport"; it is reported as the misspelling it is instead.
 */
const BindingEntry = z
  .unknown()
  .superRefine((value, ctx) => {
    if (typeof value !== 'object' || value === null || field(value, 'transport') !== undefined) return;
    for (const key of Object.keys(value)) {
      if (nearestField(key, ['transport']) !== 'transport') continue;
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: `unknown field "${key}"; did you mean "transport"?`,
        params: { kind: 'misspelt-field', expected: 'transport' },
      });
    }
  })
  .pipe(AgentBinding);

/** agents.yaml: which transport each agent is reached by, and its timeout and retry policy. */
export const AgentsFile = contract({
  defaults: contract({ ...common }).optional(),
  agents: contract({
    schema: BindingEntry.optional(),
    stream: BindingEntry.optional(),
    builder: BindingEntry.optional(),
    pulse: BindingEntry.optional(),
    canvas: BindingEntry.optional(),
    radar: BindingEntry.optional(),
    scaffold: BindingEntry.optional(),
    extract: BindingEntry.optional(),
    transform: BindingEntry.optional(),
    publish: BindingEntry.optional(),
  }),
});
export type AgentsFile = z.infer<typeof AgentsFile>;

/** The agents that receive a handoff in some flow; each of them must be bound, except the pipeline stages. */
export const RECEIVING_AGENTS: readonly AgentName[] = [
  ...new Set(Object.values(FLOWS).flatMap((f) => f.handoffs.map((h) => h.to))),
];

/**
 * A pipeline stage agents.yaml does not bind runs built-in, with the file's retry defaults and a timeout that
 * covers waiting its turn for the warehouse file behind other partitions' dbt runs (a dead worker is still noticed
 * by the handoff's heartbeat within seconds, not at this timeout).
 */
export const STAGE_DEFAULT_BINDING: AgentBinding = { transport: 'builtin', timeout: 15 * 60_000 };

export class AgentsFileError extends Error {
  constructor(
    readonly file: string,
    readonly issues: readonly ContractIssue[],
  ) {
    super(
      `${file} is not valid:\n${issues.map((i) => `  ${i.path}${i.line !== undefined ? ` (line ${i.line})` : ''}: ${i.message}`).join('\n')}`,
    );
    this.name = 'AgentsFileError';
  }
}

/**
 * Parses agents.yaml text. Every agent that receives a handoff must be bound, and every token variable
 * named must be set, so a worker never starts half-configured.
 */
export function parseAgentsFile(text: string, file: string, env: NodeJS.ProcessEnv = process.env): AgentsFile {
  const parsed = parseYaml(text, AgentsFile);
  if (!parsed.ok) throw new AgentsFileError(file, parsed.issues);
  const issues: ContractIssue[] = [];
  for (const name of RECEIVING_AGENTS) {
    const binding = parsed.value.agents[name];
    if (binding === undefined && STAGE_AGENTS.includes(name)) continue;
    if (binding === undefined) {
      issues.push({
        path: `agents.${name}`,
        message: 'missing binding (every agent that receives a handoff needs one)',
        segments: ['agents', name],
      });
    } else if (
      binding.transport === 'http' &&
      binding.token_env !== undefined &&
      env[binding.token_env] === undefined
    ) {
      issues.push({
        path: `agents.${name}.token_env`,
        message: `expected environment variable ${binding.token_env} to be set, got nothing`,
        segments: ['agents', name, 'token_env'],
      });
    }
  }
  if (issues.length > 0) throw new AgentsFileError(file, issues);
  return parsed.value;
}

export async function loadAgentsFile(file: string, env: NodeJS.ProcessEnv = process.env): Promise<AgentsFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new AgentsFileError(file, [
      { path: '(file)', message: `cannot read: ${err instanceof Error ? err.message : String(err)}`, segments: [] },
    ]);
  }
  return parseAgentsFile(text, file, env);
}
