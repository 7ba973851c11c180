import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import type { ContractName } from '../flows.js';
import { check, CONTRACTS, type Checked } from './index.js';
import type { ContractIssue } from './issues.js';

/**
 * The largest YAML text read, in bytes, checked before parsing: a chain's payloads travel through Temporal
 * (2 MB per payload), and a bigger file is a mistake or an attack, better refused at once than after a minute.
 */
export const MAX_YAML_BYTES = 2 * 1024 * 1024;

/** The deepest nesting of mappings and lists accepted: contracts need a handful; deeper is an attack. */
export const MAX_YAML_NESTING = 64;

/** Aliases a document may expand: enough for real anchors, far too few for an alias bomb. */
const MAX_ALIAS_COUNT = 100;

/**
 * Parses YAML text and checks it against a schema. Syntax errors and contract issues alike come back with
 * the line and column they refer to, so the CLI can point at the exact spot in the user's file. Hostile
 * text (too large, binary, nested too deep, an alias bomb) comes back as one `(file)` issue, never a throw.
 */
export function parseYaml<T>(text: string, schema: z.ZodType<T>): Checked<T> {
  const refused = refuse(text);
  if (refused !== undefined) return { ok: false, issues: [refused] };
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      issues: doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return {
          path: '(yaml)',
          message: `YAML syntax error: ${e.message.split('\n')[0] ?? e.code}`,
          segments: [],
          line: pos.line,
          column: pos.col,
        };
      }),
    };
  }
  const deep = tooDeep(doc);
  if (deep !== undefined) {
    const pos = lineCounter.linePos(deep.range?.[0] ?? 0);
    return { ok: false, issues: [wholeFile(`nested deeper than ${MAX_YAML_NESTING} levels`, pos.line, pos.col)] };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    // The yaml package refuses an alias bomb with a ReferenceError, and nothing else is expected here.
    const why = err instanceof Error ? err.message : String(err);
    return {
      ok: false,
      issues: [wholeFile(`aliases expand too far (more than ${MAX_ALIAS_COUNT}: an alias bomb?): ${why}`)],
    };
  }
  const checked = check(schema, data);
  if (checked.ok) return checked;
  return { ok: false, issues: checked.issues.map((i) => locate(i, doc, lineCounter)) };
}

/** An issue about the whole text rather than a field: the CLI prints it on one line. */
function wholeFile(message: string, line?: number, column?: number): ContractIssue {
  return {
    path: '(file)',
    message,
    segments: [],
    ...(line !== undefined ? { line } : {}),
    ...(column !== undefined ? { column } : {}),
  };
}

/**
 * What makes text unfit to parse at all, found in one pass before the parser sees it: its size, a control
 * character (binary content), or flow brackets or compact `- - -` lists nested too deep (the parser would
 * take seconds to overflow its stack on them).
 */
function refuse(text: string): ContractIssue | undefined {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_YAML_BYTES) return wholeFile(`too large: ${bytes} bytes, the limit is ${MAX_YAML_BYTES}`);
  let line = 1;
  let column = 1;
  let depth = 0;
  let quote: string | undefined;
  let comment = false;
  let dashes = 0;
  let lineStart = true;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i] ?? '';
    const code = c.charCodeAt(0);
    if (code === 0xfffd || (code < 0x20 && c !== '\t' && c !== '\n' && c !== '\r') || code === 0x7f) {
      return wholeFile(
        `not a YAML text file: ${code === 0xfffd ? 'bytes that are not UTF-8' : `control character U+${code.toString(16).padStart(4, '0').toUpperCase()}`} (binary content?)`,
        line,
        column,
      );
    }
    if (c === '\n') {
      line += 1;
      column = 1;
      comment = false;
      lineStart = true;
      dashes = 0;
      if (quote === "'") quote = undefined;
      continue;
    }
    column += 1;
    if (comment) continue;
    if (lineStart && (c === '-' || c === '?') && (text[i + 1] === ' ' || text[i + 1] === '\t')) {
      dashes += 1;
      if (dashes > MAX_YAML_NESTING) return wholeFile(`nested deeper than ${MAX_YAML_NESTING} levels`, line, column);
      continue;
    }
    if (c !== ' ' && c !== '\t') lineStart = false;
    if (quote !== undefined) {
      if (c === '\\' && quote === '"') i += 1;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || text[i - 1] === ' ' || text[i - 1] === '\t')) comment = true;
    else if (c === '[' || c === '{') {
      depth += 1;
      if (depth > MAX_YAML_NESTING) return wholeFile(`nested deeper than ${MAX_YAML_NESTING} levels`, line, column);
    } else if ((c === ']' || c === '}') && depth > 0) depth -= 1;
  }
  return undefined;
}

/** The first node nested deeper than {@link MAX_YAML_NESTING}, walked without recursion. */
function tooDeep(doc: Document): Node | undefined {
  const stack: { node: unknown; depth: number }[] = [{ node: doc.contents, depth: 0 }];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const { node, depth } = next;
    if (!isMap(node) && !isSeq(node)) continue;
    if (depth >= MAX_YAML_NESTING) return node;
    for (const item of node.items) {
      if (isPair(item)) stack.push({ node: item.key, depth: depth + 1 }, { node: item.value, depth: depth + 1 });
      else stack.push({ node: item, depth: depth + 1 });
    }
  }
  return undefined;
}

/** Parses YAML text against a named contract. */
export function parseContractYaml(name: ContractName, text: string): Checked<Record<string, unknown>> {
  return parseYaml(text, CONTRACTS[name]);
}

/** Adds the line and column of the deepest node the issue's path reaches. */
function locate(issue: ContractIssue, doc: Document, lineCounter: LineCounter): ContractIssue {
  let node: unknown = doc.contents;
  let at: Node | undefined = isNodeLike(node) ? node : undefined;
  issue.segments.forEach((seg, i) => {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && p.key.value === seg);
      if (pair === undefined) return (node = undefined);
      // An unknown field is best pointed at by its key; a bad value by the value.
      const pointAtKey = (issue.atKey === true && i === issue.segments.length - 1) || !isNodeLike(pair.value);
      const target = pointAtKey ? pair.key : pair.value;
      if (isNodeLike(target)) at = target;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
      if (isNodeLike(node)) at = node;
    } else {
      node = undefined;
    }
    return undefined;
  });
  const offset = at?.range?.[0];
  if (offset === undefined) return issue;
  const pos = lineCounter.linePos(offset);
  return { ...issue, line: pos.line, column: pos.col };
}

function isNodeLike(value: unknown): value is Node {
  return isMap(value) || isSeq(value) || isScalar(value);
}
