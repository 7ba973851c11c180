import type pg from 'pg';
import { type EventDb, sqlState } from './db.js';
import { decide, fold, readEvent, type CommandRequest, type OrderEvent, type OrderState } from './domain.js';

/**
 * The event store's tables, in schema `es`. `events.position` is the global order: appends take the one `head` row
 * in their transaction, so positions are gapless and commit in order, and a projection that has read up to the
 * head never sees an earlier position appear later. `(stream_id, version)` is unique: the optimistic-concurrency
 * check. `commands` records every command id that appended, with its positions: a command retried after a crash
 * (in any run of the aggregate's workflow, before or after continue-as-new) finds it and appends nothing.
 */
export const STORE_DDL = `
CREATE SCHEMA IF NOT EXISTS es;
CREATE TABLE IF NOT EXISTS es.events (
  position bigint PRIMARY KEY,
  stream_id text NOT NULL,
  version int NOT NULL,
  type text NOT NULL,
  schema int NOT NULL,
  data jsonb NOT NULL,
  metadata jsonb NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  UNIQUE (stream_id, version)
);
CREATE TABLE IF NOT EXISTS es.head (one boolean PRIMARY KEY DEFAULT true CHECK (one), position bigint NOT NULL);
INSERT INTO es.head (one, position) VALUES (true, 0) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS es.commands (
  command_id text PRIMARY KEY,
  stream_id text NOT NULL,
  first_position bigint NOT NULL,
  last_position bigint NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
`;

/** Where an appended event landed: what a command's caller gets back (the data stays in the store). */
export interface EventRef {
  readonly position: number;
  readonly streamId: string;
  readonly version: number;
  readonly type: string;
}

/** An event as read from the store. */
export interface StoredEvent extends EventRef {
  readonly event: OrderEvent;
  readonly metadata: EventMetadata;
  readonly recordedAt: string;
}

/** Who caused an event: the command, what caused the command, and the workflow that handled it (the correlation). */
export interface EventMetadata {
  readonly commandId: string;
  readonly causationId?: string;
  readonly correlationId: string;
}

export type CommandOutcome =
  | { readonly outcome: 'appended' | 'duplicate'; readonly events: EventRef[] }
  | { readonly outcome: 'rejected'; readonly reason: string };

/** Another append reached the stream first: its version is no longer what the append expected. */
export class ConcurrencyError extends Error {
  override name = 'ConcurrencyError';
}

/**
 * Appends events to a stream whose current version must be `expectedVersion`, inside the caller's transaction.
 * Throws {@link ConcurrencyError} when another append got there first.
 */
export async function appendEvents(
  client: pg.ClientBase,
  streamId: string,
  expectedVersion: number,
  events: readonly OrderEvent[],
  metadata: EventMetadata,
): Promise<EventRef[]> {
  if (events.length === 0) return [];
  const current = await client.query<{ version: number }>(
    'SELECT coalesce(max(version), 0)::int AS version FROM es.events WHERE stream_id = $1',
    [streamId],
  );
  const actual = current.rows[0]?.version ?? 0;
  if (actual !== expectedVersion)
    throw new ConcurrencyError(`${streamId} is at version ${actual}, the append expected ${expectedVersion}`);
  // The head row lock serializes appends: positions are handed out and committed in one order.
  const head = await client.query<{ last: string }>(
    'UPDATE es.head SET position = position + $1 RETURNING position AS last',
    [events.length],
  );
  const last = Number(head.rows[0]?.last);
  const first = last - events.length + 1;
  const meta = {
    command_id: metadata.commandId,
    correlation_id: metadata.correlationId,
    ...(metadata.causationId !== undefined ? { causation_id: metadata.causationId } : {}),
  };
  try {
    await client.query(
      `INSERT INTO es.events (position, stream_id, version, type, schema, data, metadata)
       SELECT p, $2, v, t, s, d, $7::jsonb
       FROM unnest($1::bigint[], $3::int[], $4::text[], $5::int[], $6::jsonb[]) AS e(p, v, t, s, d)`,
      [
        events.map((_, i) => first + i),
        streamId,
        events.map((_, i) => expectedVersion + 1 + i),
        events.map((e) => e.type),
        events.map((e) => e.schema),
        events.map((e) => JSON.stringify(e.data)),
        JSON.stringify(meta),
      ],
    );
  } catch (err) {
    // A concurrent append that read the same version committed first (unique stream_id, version).
    if (sqlState(err) === '23505') throw new ConcurrencyError(`${streamId} moved past version ${expectedVersion}`);
    throw err;
  }
  return events.map((e, i) => ({ position: first + i, streamId, version: expectedVersion + 1 + i, type: e.type }));
}

/** How often a command is tried again when another append to its stream committed first. */
const CONFLICT_RETRIES = 5;

/**
 * Handles one command in one transaction: a command id already recorded returns the events it appended then
 * (`duplicate`) and appends nothing; otherwise the stream is folded, the shop decides, and the events are
 * appended at the version the fold saw, with the command id recorded in the same transaction. A refusal
 * writes nothing.
 */
export async function handleCommand(
  db: EventDb,
  streamId: string,
  request: CommandRequest,
  context: { readonly correlationId: string; readonly causationId?: string },
): Promise<CommandOutcome> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(async (client) => {
        const done = await recordedCommand(client, request.commandId);
        if (done !== undefined) return { outcome: 'duplicate', events: done };
        const state = await loadState(client, streamId);
        const decision = decide(state, request.command);
        if ('rejected' in decision) return { outcome: 'rejected', reason: decision.rejected };
        const refs = await appendEvents(client, streamId, state.version, decision.events, {
          commandId: request.commandId,
          correlationId: context.correlationId,
          ...(context.causationId !== undefined ? { causationId: context.causationId } : {}),
        });
        const first = refs[0]?.position ?? 0;
        const last = refs.at(-1)?.position ?? 0;
        await client.query(
          'INSERT INTO es.commands (command_id, stream_id, first_position, last_position) VALUES ($1, $2, $3, $4)',
          [request.commandId, streamId, first, last],
        );
        return { outcome: 'appended', events: refs };
      });
    } catch (err) {
      const conflict = err instanceof ConcurrencyError || sqlState(err) === '23505' || sqlState(err) === '40001';
      if (!conflict || attempt >= CONFLICT_RETRIES) throw err;
    }
  }
}

async function recordedCommand(client: pg.ClientBase, commandId: string): Promise<EventRef[] | undefined> {
  const found = await client.query<{ first_position: string; last_position: string }>(
    'SELECT first_position, last_position FROM es.commands WHERE command_id = $1',
    [commandId],
  );
  const row = found.rows[0];
  if (row === undefined) return undefined;
  const events = await client.query<{ position: string; stream_id: string; version: number; type: string }>(
    `SELECT position, stream_id, version, type FROM es.events WHERE position BETWEEN $1 AND $2 ORDER BY position`,
    [row.first_position, row.last_position],
  );
  return events.rows.map((r) => ({
    position: Number(r.position),
    streamId: r.stream_id,
    version: r.version,
    type: r.type,
  }));
}

async function loadState(client: pg.ClientBase, streamId: string): Promise<OrderState> {
  const rows = await client.query<{ type: string; schema: number; data: unknown }>(
    'SELECT type, schema, data FROM es.events WHERE stream_id = $1 ORDER BY version',
    [streamId],
  );
  return fold(rows.rows.map((r) => readEvent(r.type, r.schema, r.data)));
}

interface EventRow {
  position: string;
  stream_id: string;
  version: number;
  type: string;
  schema: number;
  data: unknown;
  metadata: Record<string, unknown>;
  recorded_at: string;
}

const EVENT_COLUMNS = `position, stream_id, version, type, schema, data, metadata,
  to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS recorded_at`;

function storedEvent(r: EventRow): StoredEvent {
  const causation = r.metadata.causation_id;
  return {
    position: Number(r.position),
    streamId: r.stream_id,
    version: r.version,
    type: r.type,
    event: readEvent(r.type, r.schema, r.data),
    metadata: {
      commandId: String(r.metadata.command_id),
      correlationId: String(r.metadata.correlation_id),
      ...(typeof causation === 'string' ? { causationId: causation } : {}),
    },
    recordedAt: r.recorded_at,
  };
}

/** One stream, in version order. */
export async function readStream(db: EventDb, streamId: string): Promise<StoredEvent[]> {
  const rows = await db.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM es.events WHERE stream_id = $1 ORDER BY version`,
    [streamId],
  );
  return rows.map(storedEvent);
}

/** Events after position `after`, up to `limit` of them, in position order. */
export async function readAll(db: EventDb, after = 0, limit = 100_000): Promise<StoredEvent[]> {
  const rows = await db.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM es.events WHERE position > $1 ORDER BY position LIMIT $2`,
    [after, limit],
  );
  return rows.map(storedEvent);
}

/** The last position appended, and when. */
export async function storeHead(db: EventDb): Promise<{ position: number; at: string | null }> {
  const rows = await db.query<{ position: string; at: string | null }>(
    `SELECT h.position, (SELECT to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
                         FROM es.events WHERE position = h.position) AS at
     FROM es.head h`,
  );
  return { position: Number(rows[0]?.position ?? 0), at: rows[0]?.at ?? null };
}
