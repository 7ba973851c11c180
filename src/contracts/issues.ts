import type { z } from 'zod';
import { field } from '../field.js';

/** One thing wrong with a payload: where (`metrics[1].grain`), and a message saying what was expected and what came. */
export interface ContractIssue {
  readonly path: string;
  readonly message: string;
  /** 1-based position in the YAML text, when the payload came from one. */
  readonly line?: number;
  readonly column?: number;
  /** The raw path, to locate the issue in a YAML document. */
  readonly segments: readonly (string | number)[];
  /** The issue is about the field name itself (an unknown field), not its value. */
  readonly atKey?: boolean;
}

/** `metrics[1].grain`; the whole document is `(root)`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out === '' ? '(root)' : out;
}

/** A short, readable rendering of the value that came. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return typeof value;
}

function messageOf(issue: z.core.$ZodIssue, input: unknown = issue.input): string {
  const got = describeValue(input);
  switch (issue.code) {
    case 'invalid_type':
      if (input === undefined) return `missing required field (expected ${issue.expected})`;
      return `expected ${issue.expected === 'object' ? 'a mapping' : issue.expected}, got ${got}`;
    case 'invalid_value':
      if (input === undefined) {
        return `missing required field (expected one of ${issue.values.map((v) => JSON.stringify(v)).join(' | ')})`;
      }
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(' | ')}, got ${got}`;
    case 'too_small':
    case 'too_big': {
      const size = Array.isArray(input) ? `a list of ${input.length}` : got;
      // An exclusive bound (`.positive()`, `.gt()`, `.lt()`) is not "at least": -3 for a positive amount says so.
      const bound =
        issue.code === 'too_small'
          ? `${issue.inclusive === false ? 'greater than' : 'at least'} ${String(issue.minimum)}`
          : `${issue.inclusive === false ? 'less than' : 'at most'} ${String(issue.maximum)}`;
      return `${issue.message.startsWith('expected') ? issue.message : `expected ${bound}`}, got ${size}`;
    }
    case 'invalid_format':
      return `${issue.message.startsWith('expected') ? issue.message : `expected ${issue.format}`}, got ${got}`;
    case 'invalid_union':
      return unionMessage(issue);
    default:
      return issue.message;
  }
}

/** A union's issue, from the branch the value came closest to, or from the discriminator it lacks. */
function unionMessage(issue: z.core.$ZodIssueInvalidUnion): string {
  const discriminator = field(issue, 'discriminator');
  const options = field(issue, 'options');
  if (typeof discriminator === 'string' && Array.isArray(options)) {
    const value = field(issue.input, discriminator);
    const expected = options.map((o) => JSON.stringify(o)).join(' | ');
    return value === undefined
      ? `missing required field (expected one of ${expected})`
      : `expected one of ${expected}, got ${describeValue(value)}`;
  }
  // The branch whose issues are not about the value's type is the one the value was meant for.
  const branch = issue.errors.find((b) => b.length > 0 && b.every((i) => i.code !== 'invalid_type')) ?? issue.errors[0];
  const [first] = branch ?? [];
  if (first === undefined) return `expected another shape, got ${describeValue(issue.input)}`;
  return messageOf(first, first.input ?? issue.input);
}

/** The known field a `contract()` misspelling issue suggests, if this is one. */
function misspeltField(issue: z.core.$ZodIssue): string | undefined {
  const params: unknown = issue.code === 'custom' ? issue.params : undefined;
  if (field(params, 'kind') !== 'misspelt-field') return undefined;
  return String(field(params, 'expected'));
}

/**
 * Turns zod issues into ours. A misspelt field (`gran` for `grain`) reports itself; the "missing `grain`"
 * issue it causes is dropped as noise.
 */
export function toContractIssues(issues: readonly z.core.$ZodIssue[]): ContractIssue[] {
  const misspelt = new Set<string>();
  for (const issue of issues) {
    const suggestion = misspeltField(issue);
    if (suggestion !== undefined) misspelt.add(formatPath([...issue.path.slice(0, -1), suggestion]));
  }
  const out: ContractIssue[] = [];
  for (const issue of issues) {
    const path = formatPath(issue.path);
    if (misspelt.has(path) && issue.input === undefined) continue;
    const segments = issue.path.filter((s): s is string | number => typeof s !== 'symbol');
    const atKey = misspeltField(issue) !== undefined;
    out.push({ path, message: messageOf(issue), segments, ...(atKey ? { atKey } : {}) });
  }
  return out;
}

/** One line per issue: `metrics[1].grain (line 7, column 5): missing required field`. */
export function formatIssues(issues: readonly ContractIssue[], source?: string): string {
  return issues
    .map((i) => {
      const column = i.column ?? 1;
      const at =
        i.line === undefined
          ? ''
          : source === undefined
            ? ` (line ${i.line}, column ${column})`
            : ` (${source}:${i.line}:${column})`;
      return `${i.path}${at}: ${i.message}`;
    })
    .join('\n');
}
