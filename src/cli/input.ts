import { readFile } from 'node:fs/promises';
import { closest } from 'fastest-levenshtein';
import { formatIssues } from '../contracts';
import { parseContractYaml } from '../contracts/yaml';
import { FLOW_NAMES, FLOWS, isFlowName, type FlowName } from '../flows';
import { UsageError } from './errors';

/** The flow named on the command line, or a usage error naming the closest one. */
export function flowArg(name: string): FlowName {
  if (isFlowName(name)) return name;
  const near = closest(name, [...FLOW_NAMES]);
  throw new UsageError(`unknown flow "${name}"; did you mean "${near}"? Flows: ${FLOW_NAMES.join(', ')}`);
}

/**
 * Reads and checks a flow's input file at the edge, before anything is started: a YAML error or a contract
 * issue is a usage error that points at the file, line and column.
 */
export async function readFlowInput(flow: FlowName, file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read input ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const contract = FLOWS[flow].handoffs[0]?.input;
  if (contract === undefined) throw new UsageError(`flow ${flow} has no handoffs`);
  const parsed = parseContractYaml(contract, text);
  if (!parsed.ok) {
    throw new UsageError(
      `${file} is not a valid ${contract} payload for ${flow}:\n${indent(formatIssues(parsed.issues, file))}`,
    );
  }
  return parsed.value;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}
