import { z } from 'zod';
import { loadAgentsFile } from '../agents/config.js';
import { AgentRegistry } from '../agents/registry.js';
import { CONTRACTS } from '../contracts/index.js';
import { FLOWS, type AgentName } from '../flows.js';
import { DEFAULT_AGENTS_FILE } from '../identity/index.js';
import { printJson } from './context.js';

/** The top-level fields of a contract, `name` or `name?` for optional ones. */
function fieldsOf(schema: z.ZodType): string[] {
  const json = z.toJSONSchema(schema, { unrepresentable: 'any', io: 'input' });
  const properties = typeof json.properties === 'object' ? Object.keys(json.properties) : [];
  const required = new Set(Array.isArray(json.required) ? json.required : []);
  return properties.map((p) => (required.has(p) ? p : `${p}?`));
}

/** `flows`: each flow, its handoffs with the transport each agent is bound to, and its input contract. */
export async function flowsCommand(options: { json?: boolean; agents?: string }): Promise<number> {
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
  return 0;
}
