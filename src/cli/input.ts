import { readFile } from 'node:fs/promises';
import { closest } from 'fastest-levenshtein';
import type { z } from 'zod';
import { CONTRACTS, formatIssues } from '../contracts/index.js';
import { parseYaml } from '../contracts/yaml.js';
import { FLOW_NAMES, FLOWS, isFlowName, type ContractName, type FlowName } from '../flows.js';
import { UsageError } from './errors.js';

/** The flow named on the command line, or a usage error naming the closest one. */
export function flowArg(name: string): FlowName {
  if (isFlowName(name)) return name;
  const near = closest(name, [...FLOW_NAMES]);
  throw new UsageError(`unknown flow "${name}"; did you mean "${near}"? Flows: ${FLOW_NAMES.join(', ')}`);
}

/** How a checked file is named in errors: `cannot read <noun> <file>`, `<file> is not <valid>:`. */
export interface FileRole {
  readonly noun: string;
  readonly valid: string;
}

/**
 * Reads a YAML file and checks it against a schema at the edge, before anything is started: an unreadable
 * file, a YAML error or a contract issue is a usage error pointing at the file, line and column.
 */
export async function readCheckedYaml<T>(file: string, schema: z.ZodType<T>, role: FileRole): Promise<T> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${role.noun} ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const parsed = parseYaml(text, schema);
  if (!parsed.ok) throw new UsageError(`${file} is not ${role.valid}:\n${indent(formatIssues(parsed.issues, file))}`);
  return parsed.value;
}

/** A payload file checked against a named contract. */
export function readContractFile(
  contract: ContractName,
  file: string,
  role: FileRole,
): Promise<Record<string, unknown>> {
  return readCheckedYaml(file, CONTRACTS[contract], role);
}

/** A flow's input file: the payload of its first handoff. */
export async function readFlowInput(flow: FlowName, file: string): Promise<Record<string, unknown>> {
  const contract = FLOWS[flow].handoffs[0]?.input;
  if (contract === undefined) throw new UsageError(`flow ${flow} has no handoffs`);
  return readContractFile(contract, file, { noun: 'input', valid: `a valid ${contract} payload for ${flow}` });
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}
