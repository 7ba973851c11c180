import { formatPath } from './contracts/issues.js';

/** One difference between two payloads, at a contract path such as `connectors[1].method`. */
export interface PayloadChange {
  readonly path: string;
  readonly kind: 'added' | 'removed' | 'changed';
  readonly before?: unknown;
  readonly after?: unknown;
}

/** The field-level differences between two JSON payloads, in document order. */
export function diffPayloads(before: unknown, after: unknown, path: (string | number)[] = []): PayloadChange[] {
  if (Object.is(before, after)) return [];
  const at = formatPath(path);
  if (Array.isArray(before) && Array.isArray(after)) {
    const out: PayloadChange[] = [];
    const n = Math.max(before.length, after.length);
    for (let i = 0; i < n; i += 1) {
      if (i >= after.length) out.push({ path: formatPath([...path, i]), kind: 'removed', before: before[i] });
      else if (i >= before.length) out.push({ path: formatPath([...path, i]), kind: 'added', after: after[i] });
      else out.push(...diffPayloads(before[i], after[i], [...path, i]));
    }
    return out;
  }
  if (isRecord(before) && isRecord(after)) {
    const out: PayloadChange[] = [];
    const keys = [...Object.keys(before), ...Object.keys(after).filter((k) => !(k in before))];
    for (const key of keys) {
      if (!(key in after)) out.push({ path: formatPath([...path, key]), kind: 'removed', before: before[key] });
      else if (!(key in before)) out.push({ path: formatPath([...path, key]), kind: 'added', after: after[key] });
      else out.push(...diffPayloads(before[key], after[key], [...path, key]));
    }
    return out;
  }
  if (before === undefined) return [{ path: at, kind: 'added', after }];
  if (after === undefined) return [{ path: at, kind: 'removed', before }];
  return [{ path: at, kind: 'changed', before, after }];
}

/** `~ connectors[1].method: "incremental" → "full"`, `+ …`, `- …`: one line per change. */
export function formatChanges(changes: readonly PayloadChange[]): string[] {
  return changes.map((c) => {
    if (c.kind === 'added') return `+ ${c.path}: ${show(c.after)}`;
    if (c.kind === 'removed') return `- ${c.path}: ${show(c.before)}`;
    return `~ ${c.path}: ${show(c.before)} → ${show(c.after)}`;
  });
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
