import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../identity/index.js';
import type { EventDb } from './db.js';
import type { CommandRequest } from './domain.js';
import {
  applyServingBatch,
  applyVersionBatch,
  beginRebuild,
  previousVersion,
  swapTo,
  SwapRefused,
  type BatchResult,
  type ProjectionName,
  type RebuildVersion,
  type SwapResult,
  type Until,
} from './projections.js';
import { handleCommand, type CommandOutcome } from './store.js';

export interface EventActivityDeps {
  /** The event store, migrated; undefined when this worker has none configured. */
  readonly eventStore?: () => Promise<EventDb>;
}

/** How often a long rebuild activity heartbeats (its heartbeat timeout is 10 s). */
const BEAT_MS = 2_000;

/** Runs `fn` in the current activity, heartbeating at once and then every BEAT_MS until it settles. */
async function beating<T>(fn: () => Promise<T>): Promise<T> {
  const ctx = Context.current();
  ctx.heartbeat();
  const timer = setInterval(() => ctx.heartbeat(), BEAT_MS);
  try {
    return await fn();
  } finally {
    clearInterval(timer);
  }
}

/** How often a following projection looks for new events while the store is quiet. */
const FOLLOW_POLL_MS = 100;

/**
 * The event-sourcing activities. They move events between the store and the read models inside PostgreSQL; only
 * positions, counts and versions return to the workflows.
 */
export function createEventActivities(deps: EventActivityDeps) {
  const store = async (): Promise<EventDb> => {
    if (deps.eventStore === undefined)
      throw ApplicationFailure.nonRetryable('this worker has no event store (EVENT_STORE_URL)', 'NoEventStore');
    return deps.eventStore();
  };
  const refusing = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof SwapRefused) throw ApplicationFailure.nonRetryable(err.message, FailureType.SwapRefused);
      throw err;
    }
  };
  return {
    /** One command, in one transaction: deduplicated by command id, decided on the folded stream, appended. */
    async handleOrderCommand(input: {
      streamId: string;
      request: CommandRequest;
      correlationId: string;
      causationId?: string;
    }): Promise<CommandOutcome> {
      return handleCommand(await store(), input.streamId, input.request, {
        correlationId: input.correlationId,
        ...(input.causationId !== undefined ? { causationId: input.causationId } : {}),
      });
    },

    /**
     * One batch of the serving version; when the store has nothing new, waits up to `waitMs` for something (polling
     * and heartbeating), so a quiet projection costs few workflow events and a busy one lags by one poll at most.
     */
    async followProjection(input: { name: ProjectionName; maxEvents: number; waitMs: number }): Promise<BatchResult> {
      const db = await store();
      const until = Date.now() + input.waitMs;
      for (;;) {
        const batch = await applyServingBatch(db, input.name, input.maxEvents);
        if (batch.to > batch.from || Date.now() >= until) return batch;
        Context.current().heartbeat(batch.to);
        await Context.current().sleep(FOLLOW_POLL_MS);
      }
    },

    async beginProjectionRebuild(input: {
      name: ProjectionName;
      rebuildId: string;
      until?: Until;
    }): Promise<RebuildVersion> {
      return beginRebuild(await store(), input.name, input.rebuildId, input.until);
    },

    /**
     * Batches of a version under rebuild, each committed with its checkpoint, for up to `maxMs` (default 2 s): one
     * round trip through Temporal per couple of seconds of folding instead of one per batch, while a crash still
     * loses one batch at most. Returns the batches as one (`from` of the first, the rest of the last); stops early
     * where the workflow may stop (at or near the target), when nothing was left, and when the stream pass ends.
     */
    async rebuildProjectionBatch(input: {
      name: ProjectionName;
      version: number;
      maxEvents: number;
      maxMs?: number;
    }): Promise<BatchResult> {
      const db = await store();
      const started = Date.now();
      let first: BatchResult | undefined;
      // A batch is one statement that may run for seconds: beat on a timer, so only a lost worker goes quiet.
      return beating(async () => {
        for (;;) {
          const batch = await applyVersionBatch(db, input.name, input.version, input.maxEvents);
          first ??= batch;
          const passDone = batch.streamPass === true && batch.to - batch.from < input.maxEvents;
          const nearTarget = batch.to >= batch.target || batch.target - batch.to < input.maxEvents;
          if (passDone || nearTarget || batch.to === batch.from || Date.now() - started >= (input.maxMs ?? 2_000))
            return { ...batch, from: first.from };
        }
      });
    },

    async swapProjection(input: { name: ProjectionName; version: number }): Promise<SwapResult> {
      const db = await store();
      return beating(() => refusing(() => swapTo(db, input.name, input.version)));
    },

    /**
     * The version a rollback serves again. Read in its own activity so the workflow records it: a retried swap to
     * that version is a no-op, where a retried "swap to the previous one" would flip back.
     */
    async rollbackTarget(input: { name: ProjectionName }): Promise<number> {
      const db = await store();
      return refusing(() => previousVersion(db, input.name));
    },
  };
}

export type EventActivities = ReturnType<typeof createEventActivities>;
