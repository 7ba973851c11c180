import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

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
/** The handoff in progress, e.g. `2 stream→builder`; `done` or `failed` once the chain closed. */
export const StreamStep = defineSearchAttributeKey('StreamStep', SearchAttributeType.KEYWORD);

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
] as const;
