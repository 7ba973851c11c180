import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import type { ContractName } from '../flows.js';
import { check, CONTRACTS, type Checked } from './index.js';
import type { ContractIssue } from './issues.js';

/**
 * Parses YAML text and checks it against a schema. Syntax errors and contract issues alike come back with
 * the line and column they refer to, so the CLI can point at the exact spot in the user's file.
 */
export function parseYaml<T>(text: string, schema: z.ZodType<T>): Checked<T> {
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
  const checked = check(schema, doc.toJS({ maxAliasCount: 100 }));
  if (checked.ok) return checked;
  return { ok: false, issues: checked.issues.map((i) => locate(i, doc, lineCounter)) };
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
