import { field } from '../field.js';
import { isFlowName, type FlowName } from '../flows.js';
import type { PartitionSource } from './partitions.js';
import { sha256Hex } from './sha256.js';

/**
 * Workflow ids are business keys, built and parsed here only. A chain's id is what makes a partition run at
 * most once: a hand run, a backfill and a scheduled run of the same payload and partition build the same id,
 * so the server refuses (or attaches to) a second start. Changing how an id is built makes earlier runs
 * invisible to `backfill --mode missing`, `list` and lineage, so the formats are a public interface.
 */

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
  return sha256Hex(canonicalJson(value)).slice(0, 12);
}

/**
 * How ids are built. `sealed`: payloads are encrypted (a codec key is configured), so the id must not repeat
 * what the input says — the subject becomes {@link SEALED_SUBJECT} and only the digest tells chains apart.
 * Workflow ids are stored in plaintext by the server (and shown in the UI), unlike payloads.
 */
export interface IdOptions {
  readonly sealed?: boolean;
}

/** The subject of every id built while payloads are encrypted. */
export const SEALED_SUBJECT = 'sealed';

/**
 * What a chain is about, for its workflow id: the target model, the metrics, or the pipeline's name (or
 * {@link SEALED_SUBJECT} when payloads are encrypted).
 */
export function chainSubject(flow: FlowName, payload: Record<string, unknown>, options: IdOptions = {}): string {
  if (options.sealed === true) return SEALED_SUBJECT;
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
 * `<flow>/<subject>[/<partition>]/<digest>`: flow, what the chain is about, the partition if any, and a digest
 * of the input, so the same request maps to the same id and a duplicate start attaches to the running chain
 * (or is refused) instead of doing the work twice.
 */
export function chainWorkflowId(flow: FlowName, subject: string, digest: string, partition?: string): string {
  const parts = [flow, subject];
  if (partition !== undefined) parts.push(partition);
  parts.push(digest);
  return parts.join('/');
}

/** The id a chain over this payload and partition gets from `run`, a backfill and a schedule alike. */
export function defaultChainId(
  flow: FlowName,
  payload: Record<string, unknown>,
  partition?: string,
  options: IdOptions = {},
): string {
  return chainWorkflowId(flow, chainSubject(flow, payload, options), inputDigest(payload), partition);
}

/** `backfill/<flow>/<subject>/<from>..<to>/<grain>/<digest>`, or `…/list-<digest of the list>/<digest>`. */
export function backfillWorkflowId(
  flow: FlowName,
  payload: Record<string, unknown>,
  source: PartitionSource,
  options: IdOptions = {},
): string {
  const range =
    'range' in source
      ? `${source.range.from}..${source.range.to}/${source.range.grain}`
      : `list-${inputDigest(source.list)}`;
  return `backfill/${flow}/${chainSubject(flow, payload, options)}/${range}/${inputDigest(payload)}`;
}

const BACKFILL_PREFIX = 'backfill/';
const SCHEDULE_PREFIX = 'schedule/';
const REPLAY_INFIX = '/replay-from-';

/**
 * The workflow id a schedule's action is given: `schedule/<scheduleId>`. Temporal appends `-<scheduled time>`
 * to it for every run (`schedule/nightly-2026-11-02T02:00:00Z`); that run is the schedule's launcher, which
 * starts the chain under the chain's own business key.
 */
export function scheduleWorkflowId(scheduleId: string): string {
  return `${SCHEDULE_PREFIX}${scheduleId}`;
}

/**
 * `<chain>/replay-from-<n>[-<override digest>]`: the replay of a chain from step n, so asking twice while one
 * runs attaches to it. A replay of a replay is named after the first chain.
 */
export function replayWorkflowId(chainId: string, fromStep: number, override?: Record<string, unknown>): string {
  return `${chainId}${REPLAY_INFIX}${fromStep}${override !== undefined ? `-${inputDigest(override)}` : ''}`;
}

/** What a workflow id says about its workflow; `other` for ids given by hand (`--id`). */
export type WorkflowIdentity =
  | {
      readonly kind: 'chain';
      readonly flow: FlowName;
      readonly subject: string;
      readonly partition?: string;
      readonly digest: string;
    }
  | { readonly kind: 'replay'; readonly of: string; readonly fromStep: number; readonly overrideDigest?: string }
  | {
      readonly kind: 'backfill';
      readonly flow: FlowName;
      readonly subject: string;
      readonly partitions: string;
      readonly digest: string;
    }
  | { readonly kind: 'schedule'; readonly scheduleId: string; readonly scheduledAt?: string }
  | { readonly kind: 'other' };

const DIGEST = /^[0-9a-f]{12}$/;
/** The suffix Temporal gives a scheduled run's id: `-` and the scheduled time in RFC 3339, to the second. */
const SCHEDULED_SUFFIX = /^(.+)-(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)$/;
const REPLAY = /^(.+)\/replay-from-(\d+)(?:-([0-9a-f]{12}))?$/;

/** Parses any id built above: the inverse of the builders, for listings, lineage and the CLI. */
export function parseWorkflowId(workflowId: string): WorkflowIdentity {
  const replay = REPLAY.exec(workflowId);
  if (replay !== null) {
    const [, of = '', step = '', overrideDigest] = replay;
    return { kind: 'replay', of, fromStep: Number(step), ...(overrideDigest !== undefined ? { overrideDigest } : {}) };
  }
  if (workflowId.startsWith(SCHEDULE_PREFIX)) {
    const rest = workflowId.slice(SCHEDULE_PREFIX.length);
    const timed = SCHEDULED_SUFFIX.exec(rest);
    return timed === null
      ? { kind: 'schedule', scheduleId: rest }
      : { kind: 'schedule', scheduleId: timed[1] ?? '', scheduledAt: timed[2] ?? '' };
  }
  const parts = workflowId.split('/');
  if (workflowId.startsWith(BACKFILL_PREFIX)) {
    const [, flow = '', subject = '', ...range] = parts;
    const digest = range.pop() ?? '';
    if (isFlowName(flow) && subject !== '' && range.length > 0 && DIGEST.test(digest))
      return { kind: 'backfill', flow, subject, partitions: range.join('/'), digest };
    return { kind: 'other' };
  }
  const [flow = '', subject = '', ...rest] = parts;
  const digest = rest.pop() ?? '';
  if (!isFlowName(flow) || subject === '' || !DIGEST.test(digest)) return { kind: 'other' };
  return { kind: 'chain', flow, subject, ...(rest.length > 0 ? { partition: rest.join('/') } : {}), digest };
}

/**
 * `aggregate/order/<id>`: the workflow that handles one order's commands, one at a time. Every command on the order
 * goes to it (update-with-start), so commands on one order serialize and commands on different orders do not.
 */
export function aggregateWorkflowId(streamId: string): string {
  return `aggregate/${streamId}`;
}

/**
 * `projection/<name>`: the one workflow that keeps a projection's serving read model caught up. `scope` names the
 * event store when one Temporal namespace serves several (`projection/<scope>/<name>`).
 */
export function projectionWorkflowId(name: string, scope?: string): string {
  return scope === undefined ? `projection/${name}` : `projection/${scope}/${name}`;
}

/** `projection-rebuild/[<scope>/]<name>`: at most one rebuild of a projection runs at a time. */
export function projectionRebuildWorkflowId(name: string, scope?: string): string {
  return scope === undefined ? `projection-rebuild/${name}` : `projection-rebuild/${scope}/${name}`;
}
