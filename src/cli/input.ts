import { readFile, stat } from 'node:fs/promises';
import { closest } from 'fastest-levenshtein';
import type { z } from 'zod';
import { CONTRACTS, formatIssues } from '../contracts/index.js';
import { MAX_YAML_BYTES, parseYaml } from '../contracts/yaml.js';
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
 * file, a YAML error or a contract issue is a usage error pointing at the file, line and column. A file unfit
 * to parse at all (over {@link MAX_YAML_BYTES}, checked before reading; binary; nested too deep; an alias
 * bomb) is refused at once in one line naming the file.
 */
export async function readCheckedYaml<T>(file: string, schema: z.ZodType<T>, role: FileRole): Promise<T> {
  const cannot = (err: unknown): UsageError =>
    new UsageError(`cannot read ${role.noun} ${file}: ${err instanceof Error ? err.message : String(err)}`);
  let bytes: Buffer;
  try {
    const { size } = await stat(file);
    if (size > MAX_YAML_BYTES) {
      throw new UsageError(`${file} is not ${role.valid}: too large: ${size} bytes, the limit is ${MAX_YAML_BYTES}`);
    }
    bytes = await readFile(file);
  } catch (err) {
    throw err instanceof UsageError ? err : cannot(err);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new UsageError(
      `${file} is not ${role.valid}: not a YAML text file: bytes that are not UTF-8 (binary content?)`,
    );
  }
  const parsed = parseYaml(text, schema);
  if (parsed.ok) return parsed.value;
  const [only] = parsed.issues;
  if (parsed.issues.length === 1 && only?.path === '(file)') {
    const at = only.line !== undefined ? ` (${file}:${only.line}:${only.column ?? 1})` : '';
    throw new UsageError(`${file} is not ${role.valid}: ${only.message}${at}`);
  }
  throw new UsageError(`${file} is not ${role.valid}:\n${indent(formatIssues(parsed.issues, file))}`);
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
