import { createHash } from 'node:crypto';
import { chainWorkflowId } from '../names.js';
import type { FlowName } from '../flows.js';
import type { PartitionSource } from '../workflows/backfill.js';
import { field } from '../field.js';

/** JSON with object keys sorted, so equal payloads digest equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** The first 12 hex digits of the SHA-256 of the canonical JSON. */
export function inputDigest(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 12);
}

/** What a chain is about, for its workflow id: the target model, the metrics, or the pipeline's name. */
export function chainSubject(flow: FlowName, payload: Record<string, unknown>): string {
  const pick = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  let subject: string | undefined;
  if (flow === 'schema-to-pipeline') subject = pick(payload.target_model);
  else if (flow === 'analytics-pipeline') {
    const metrics = Array.isArray(payload.metrics) ? payload.metrics : [];
    const names = metrics.map((m: unknown) => pick(field(m, 'name')));
    subject = names.filter((n): n is string => n !== undefined).join('+') || undefined;
  } else subject = pick(payload.pipeline);
  return (subject ?? 'chain').replace(/[^A-Za-z0-9_.+-]/g, '_').slice(0, 80);
}

/**
 * The default workflow id of a chain over this payload and partition. A backfill gives its chains the same
 * ids, so a partition run by hand and by a backfill is one chain, never two at once.
 */
export function defaultChainId(flow: FlowName, payload: Record<string, unknown>, partition?: string): string {
  return chainWorkflowId(flow, chainSubject(flow, payload), inputDigest(payload), partition);
}

/** `backfill/<flow>/<subject>/<from>..<to>/<grain>/<digest>`, or `…/list-<digest of the list>/<digest>`. */
export function backfillWorkflowId(flow: FlowName, payload: Record<string, unknown>, source: PartitionSource): string {
  const range =
    'range' in source
      ? `${source.range.from}..${source.range.to}/${source.range.grain}`
      : `list-${inputDigest(source.list)}`;
  return `backfill/${flow}/${chainSubject(flow, payload)}/${range}/${inputDigest(payload)}`;
}
