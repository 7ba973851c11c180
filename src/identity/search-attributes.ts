import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';
import { FLOWS, type FlowName } from '../flows.js';

/**
 * The custom search attributes every chain carries, so `temporal workflow list --query 'StreamFlow="…"'` and
 * the UI's filters find chains by flow, agent, partition, replay and backfill. The worker registers any that
 * a server lacks; renaming one orphans what runs under the old name.
 */
export const StreamFlow = defineSearchAttributeKey('StreamFlow', SearchAttributeType.KEYWORD);
export const StreamAgents = defineSearchAttributeKey('StreamAgents', SearchAttributeType.KEYWORD_LIST);
export const StreamPartition = defineSearchAttributeKey('StreamPartition', SearchAttributeType.KEYWORD);
export const StreamReplayOf = defineSearchAttributeKey('StreamReplayOf', SearchAttributeType.KEYWORD);
export const StreamBackfill = defineSearchAttributeKey('StreamBackfill', SearchAttributeType.KEYWORD);
/**
 * The handoff a chain failed at, e.g. `2 stream→builder`, so `ExecutionStatus="Failed" AND StreamStep="2
 * stream→builder"` finds chains that failed at Builder. Set once, as the chain fails (chain code 5): a visibility
 * write at every step cost about a tenth of the chains per second. Chains of code 4 and before set it at every
 * step (the handoff in progress, then the last one started).
 */
export const StreamStep = defineSearchAttributeKey('StreamStep', SearchAttributeType.KEYWORD);

/** The projection a projection or rebuild workflow works on (`order_summary`, …). */
export const StreamProjection = defineSearchAttributeKey('StreamProjection', SearchAttributeType.KEYWORD);
/** The event-store position a projection or rebuild has folded up to: its checkpoint, for progress and lag. */
export const StreamPosition = defineSearchAttributeKey('StreamPosition', SearchAttributeType.INT);

/** Temporal's own: the time a schedule meant a run to start (set by the server on scheduled runs). */
export const TemporalScheduledStartTime = defineSearchAttributeKey(
  'TemporalScheduledStartTime',
  SearchAttributeType.DATETIME,
);

export const SEARCH_ATTRIBUTES = [
  StreamFlow,
  StreamAgents,
  StreamPartition,
  StreamReplayOf,
  StreamBackfill,
  StreamStep,
  StreamProjection,
  StreamPosition,
] as const;

/** The StreamStep value of a handoff: `2 stream→builder`. */
export function stepLabel(step: number, from: string, to: string): string {
  return `${step} ${from}→${to}`;
}

/** What a chain is, as search attributes; set when it is started (and by the chain itself if they are missing). */
export interface ChainIdentity {
  readonly partition?: string;
  readonly backfill?: string;
  readonly replayOf?: string;
}

export function chainSearchAttributes(flow: FlowName, identity: ChainIdentity = {}): SearchAttributePair[] {
  const spec = FLOWS[flow];
  return [
    { key: StreamFlow, value: flow },
    { key: StreamAgents, value: [...new Set(spec.handoffs.flatMap((h) => [h.from, h.to]))] },
    ...(identity.partition !== undefined ? [{ key: StreamPartition, value: identity.partition }] : []),
    ...(identity.backfill !== undefined ? [{ key: StreamBackfill, value: identity.backfill }] : []),
    ...(identity.replayOf !== undefined ? [{ key: StreamReplayOf, value: identity.replayOf }] : []),
  ];
}
