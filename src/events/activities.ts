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

    async rebuildProjectionBatch(input: {
      name: ProjectionName;
      version: number;
      maxEvents: number;
    }): Promise<BatchResult> {
      Context.current().heartbeat();
      return applyVersionBatch(await store(), input.name, input.version, input.maxEvents);
    },

    async swapProjection(input: { name: ProjectionName; version: number }): Promise<SwapResult> {
      Context.current().heartbeat();
      const db = await store();
      return refusing(() => swapTo(db, input.name, input.version));
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
