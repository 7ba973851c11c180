import { closest } from 'fastest-levenshtein';
import { z } from 'zod';
import { loadAgentsFile } from '../agents/config.js';
import { AgentRegistry } from '../agents/registry.js';
import { CONTRACTS } from '../contracts/index.js';
import { CONTRACT_NAMES, FLOWS, isContractName, type AgentName, type ContractName } from '../flows.js';
import { DEFAULT_AGENTS_FILE } from '../identity/names.js';
import { printJson } from './context.js';
import { UsageError } from './errors.js';

/** The top-level fields of a contract, `name` or `name?` for optional ones. */
function fieldsOf(schema: z.ZodType): string[] {
  const json = z.toJSONSchema(schema, { unrepresentable: 'any', io: 'input' });
  const properties = typeof json.properties === 'object' ? Object.keys(json.properties) : [];
  const required = new Set(Array.isArray(json.required) ? json.required : []);
  return properties.map((p) => (required.has(p) ? p : `${p}?`));
}

/**
 * `flows --contract <name>`: the contract as JSON Schema (what a payload may hold, as zod checks it), the
 * handoffs that use it, and an example payload, so an agent can be written in any language from this alone.
 */
async function contractCommand(name: string): Promise<number> {
  if (!isContractName(name)) {
    throw new UsageError(
      `unknown contract "${name}"; did you mean "${closest(name, [...CONTRACT_NAMES])}"? (contracts: ${CONTRACT_NAMES.join(', ')})`,
    );
  }
  const { CONTRACT_EXAMPLES } = await import('../contracts/examples.js');
  printJson({
    contract: name,
    usedBy: usesOf(name),
    schema: z.toJSONSchema(CONTRACTS[name], { unrepresentable: 'any', io: 'input' }),
    example: CONTRACT_EXAMPLES[name],
  });
  return 0;
}

/** Where a contract crosses a boundary: as the payload an agent receives (`input`) or as its reply. */
function usesOf(name: ContractName): { flow: string; step: number; from: string; to: string; as: string }[] {
  return Object.values(FLOWS).flatMap((f) =>
    f.handoffs.flatMap((h, i) =>
      [h.input === name ? 'input' : undefined, h.reply === name ? 'reply' : undefined]
        .filter((as) => as !== undefined)
        .map((as) => ({ flow: f.name, step: i + 1, from: h.from, to: h.to, as })),
    ),
  );
}

/**
 * `flows`: each flow, its handoffs with the transport each agent is bound to, and its input contract; with
 * `--contract <name>`, that contract as JSON Schema with an example.
 */
export async function flowsCommand(options: { json?: boolean; agents?: string; contract?: string }): Promise<number> {
  if (options.contract !== undefined) return contractCommand(options.contract);
  const file = options.agents ?? process.env.AGENTS_FILE ?? DEFAULT_AGENTS_FILE;
  let registry: AgentRegistry | undefined;
  let problem: string | undefined;
  try {
    registry = new AgentRegistry(await loadAgentsFile(file));
  } catch (err) {
    problem = err instanceof Error ? err.message : String(err);
  }
  const transport = (agent: AgentName): string => registry?.binding(agent)?.transport ?? '?';
  const flows = Object.values(FLOWS).map((f) => ({
    flow: f.name,
    pattern: f.pattern,
    title: f.title,
    trigger: f.trigger,
    workflowType: f.workflowType,
    handoffs: f.handoffs.map((h, i) => ({
      step: i + 1,
      from: h.from,
      to: h.to,
      transport: transport(h.to),
      input: h.input,
      reply: h.reply,
    })),
    input: { contract: f.handoffs[0]?.input, fields: f.handoffs[0] ? fieldsOf(CONTRACTS[f.handoffs[0].input]) : [] },
  }));
  if (options.json === true) {
    printJson({ agentsFile: file, ...(problem !== undefined ? { agentsProblem: problem } : {}), flows });
    return 0;
  }
  for (const f of flows) {
    console.log(`${f.flow}  (Pattern ${f.pattern}: ${f.title}; workflow ${f.workflowType})`);
    console.log(`  trigger: ${f.trigger}`);
    for (const h of f.handoffs)
      console.log(`  ${h.step}. ${h.from} → ${h.to} [${h.transport}]  ${h.input} → ${h.reply}`);
    console.log(`  input: ${f.input.contract ?? ''} { ${f.input.fields.join(', ')} }`);
    console.log('');
  }
  if (problem !== undefined) console.log(`agents: ${problem}`);
  else console.log(`agents from ${file}`);
  console.log('a contract as JSON Schema, with an example: stream-collab flows --contract <name>');
  return 0;
}
