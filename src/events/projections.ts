import type pg from 'pg';
import type { EventDb } from './db.js';
import { STORE_DDL } from './store.js';

/**
 * The three projections and their read models, in schema `rm`. Each projection has versions: tables
 * `rm.<name>_v<N>`, each with its own checkpoint (the last event position it covers) in `es.projection_versions`.
 * Readers read the view `rm.<name>`, which selects from the serving version. A batch folds the events after the
 * checkpoint into a version's table with one `INSERT … SELECT … GROUP BY … ON CONFLICT DO UPDATE` per read model
 * and moves the checkpoint, in one transaction: a crash anywhere leaves both as they were, so no event is applied
 * twice or skipped. A swap re-points the view and `es.projections.serving` in one transaction too (PostgreSQL's
 * DDL is transactional), after folding the last events in that same transaction: readers see the old version,
 * whole, until the commit and the new one, whole and caught up, after it.
 */
export const PROJECTION_NAMES = ['order_summary', 'daily_revenue', 'customer_ltv'] as const;
export type ProjectionName = (typeof PROJECTION_NAMES)[number];

export function isProjectionName(name: string): name is ProjectionName {
  return (PROJECTION_NAMES as readonly string[]).includes(name);
}

/** The order's status as the summary derives it: cancelled wins; everything paid refunded is refunded. */
const STATUS = (fulfilment: string, paid: string, refunded: string): string =>
  `CASE WHEN ${fulfilment} = 'cancelled' THEN 'cancelled'
        WHEN ${paid} > 0 AND ${refunded} >= ${paid} THEN 'refunded' ELSE ${fulfilment} END`;

interface ProjectionSql {
  /** The columns of a version's table. */
  readonly columns: string;
  /** Folds events with `$1 < position <= $2` into `{table}`. */
  readonly apply: string;
  /**
   * For a read model keyed by stream: folds the next `$4` events in (stream, version) order after the stream
   * `$1`, version `$2`, none after position `$3`, into `{table}`, and returns the last stream and version folded and
   * how many events (no row when none were left). See applyStreamBatch.
   */
  readonly streamPass?: string;
}

/** Paid and refunded cents of an event, and its day and customer from the order's first event (version 1). */
const AMOUNTS = `
  coalesce(sum((e.data->>'amount')::bigint) FILTER (WHERE e.type = 'OrderPaid'), 0) AS paid,
  coalesce(sum((e.data->>'amount')::bigint) FILTER (WHERE e.type = 'OrderRefunded'), 0) AS refunded`;

/** The events of one position range, for a fold by position. */
const BY_POSITION = `es.events e WHERE e.position > $1 AND e.position <= $2 AND e.stream_id LIKE 'order/%'`;

/**
 * The next events in (stream, version) order, read along the store's (stream_id, version) index: grouped by stream,
 * they come sorted, so PostgreSQL folds them as it streams them (the plan of one fold over the whole store) instead
 * of sorting each batch.
 */
const BY_STREAM = `(SELECT * FROM es.events WHERE (stream_id, version) > ($1::text, $2::int) AND position <= $3
    AND stream_id LIKE 'order/%' ORDER BY stream_id, version LIMIT $4) e`;

/**
 * order_summary's fold of `source` into one row per order. The fulfilment is that of the order's last event other
 * than a refund: the largest `position * 4 + kind` carries it in its last two bits, an aggregate PostgreSQL may
 * hash (an ordered `array_agg` forces a sort per group).
 */
const ORDER_SUMMARY_AGGREGATE = (source: string): string => `
        SELECT e.stream_id, max(e.version) AS version, max(e.recorded_at) AS recorded_at, count(*) AS events,
          (array_agg(e.data) FILTER (WHERE e.type = 'OrderPlaced'))[1] AS placed,
          (ARRAY['placed', 'paid', 'shipped', 'cancelled'])[(max(e.position * 4 + CASE e.type WHEN 'OrderPlaced' THEN 0
             WHEN 'OrderPaid' THEN 1 WHEN 'OrderShipped' THEN 2 WHEN 'OrderCancelled' THEN 3 END)
             FILTER (WHERE e.type <> 'OrderRefunded') % 4 + 1)::int] AS fulfilment,
          ${AMOUNTS}
        FROM ${source}
        GROUP BY e.stream_id`;

const ORDER_SUMMARY_UPSERT = `
      INSERT INTO {table} AS t (id, customer, ordered_at, store_id, subtotal, tax_paid, order_total, status,
        fulfilment, paid, refunded, version, updated_at)
      SELECT substr(stream_id, 7), placed->>'customer', (placed->>'ordered_at')::timestamp, placed->>'store_id',
        (placed->>'subtotal')::bigint, (placed->>'tax_paid')::bigint, (placed->>'order_total')::bigint,
        ${STATUS('fulfilment', 'paid', 'refunded')}, fulfilment, paid, refunded, version,
        recorded_at AT TIME ZONE 'UTC'
      FROM b
      ON CONFLICT (id) DO UPDATE SET
        fulfilment = coalesce(EXCLUDED.fulfilment, t.fulfilment),
        paid = t.paid + EXCLUDED.paid,
        refunded = t.refunded + EXCLUDED.refunded,
        status = ${STATUS('coalesce(EXCLUDED.fulfilment, t.fulfilment)', 't.paid + EXCLUDED.paid', 't.refunded + EXCLUDED.refunded')},
        version = EXCLUDED.version,
        updated_at = EXCLUDED.updated_at`;

const SQL: Readonly<Record<ProjectionName, ProjectionSql>> = {
  // Columns named as the shop's `orders` source table, so the read model can be the warehouse ETL's source.
  order_summary: {
    columns: `id text PRIMARY KEY, customer text, ordered_at timestamp, store_id text, subtotal bigint,
      tax_paid bigint, order_total bigint, status text, fulfilment text, paid bigint NOT NULL,
      refunded bigint NOT NULL, version int NOT NULL, updated_at timestamp NOT NULL`,
    apply: `WITH b AS (${ORDER_SUMMARY_AGGREGATE(BY_POSITION)}
      )${ORDER_SUMMARY_UPSERT}`,
    streamPass: `WITH b AS (${ORDER_SUMMARY_AGGREGATE(BY_STREAM)}
      ), ins AS (${ORDER_SUMMARY_UPSERT})
      SELECT stream_id, version, (SELECT sum(events) FROM b) AS events FROM b ORDER BY stream_id DESC LIMIT 1`,
  },
  daily_revenue: {
    columns: `date_key date PRIMARY KEY, orders int NOT NULL, subtotal bigint NOT NULL, order_total bigint NOT NULL,
      paid bigint NOT NULL, refunded bigint NOT NULL, revenue bigint NOT NULL`,
    apply: `
      WITH b AS (
        SELECT left(p.data->>'ordered_at', 10)::date AS date_key,
          count(*) FILTER (WHERE e.type = 'OrderPlaced') AS orders,
          coalesce(sum((e.data->>'subtotal')::bigint) FILTER (WHERE e.type = 'OrderPlaced'), 0) AS subtotal,
          coalesce(sum((e.data->>'order_total')::bigint) FILTER (WHERE e.type = 'OrderPlaced'), 0) AS order_total,
          ${AMOUNTS}
        FROM es.events e JOIN es.events p ON p.stream_id = e.stream_id AND p.version = 1
        WHERE e.position > $1 AND e.position <= $2 AND e.stream_id LIKE 'order/%'
        GROUP BY 1
      )
      INSERT INTO {table} AS t (date_key, orders, subtotal, order_total, paid, refunded, revenue)
      SELECT date_key, orders, subtotal, order_total, paid, refunded, paid - refunded FROM b
      ON CONFLICT (date_key) DO UPDATE SET
        orders = t.orders + EXCLUDED.orders,
        subtotal = t.subtotal + EXCLUDED.subtotal,
        order_total = t.order_total + EXCLUDED.order_total,
        paid = t.paid + EXCLUDED.paid,
        refunded = t.refunded + EXCLUDED.refunded,
        revenue = t.revenue + EXCLUDED.revenue`,
  },
  customer_ltv: {
    columns: `customer text PRIMARY KEY, orders int NOT NULL, paid bigint NOT NULL, refunded bigint NOT NULL,
      ltv bigint NOT NULL, first_order_at timestamp, last_order_at timestamp`,
    apply: `
      WITH b AS (
        SELECT p.data->>'customer' AS customer,
          count(*) FILTER (WHERE e.type = 'OrderPlaced') AS orders, ${AMOUNTS},
          min((p.data->>'ordered_at')::timestamp) FILTER (WHERE e.type = 'OrderPlaced') AS first_order_at,
          max((p.data->>'ordered_at')::timestamp) FILTER (WHERE e.type = 'OrderPlaced') AS last_order_at
        FROM es.events e JOIN es.events p ON p.stream_id = e.stream_id AND p.version = 1
        WHERE e.position > $1 AND e.position <= $2 AND e.stream_id LIKE 'order/%'
        GROUP BY 1
      )
      INSERT INTO {table} AS t (customer, orders, paid, refunded, ltv, first_order_at, last_order_at)
      SELECT customer, orders, paid, refunded, paid - refunded, first_order_at, last_order_at FROM b
      ON CONFLICT (customer) DO UPDATE SET
        orders = t.orders + EXCLUDED.orders,
        paid = t.paid + EXCLUDED.paid,
        refunded = t.refunded + EXCLUDED.refunded,
        ltv = t.ltv + EXCLUDED.ltv,
        first_order_at = least(t.first_order_at, EXCLUDED.first_order_at),
        last_order_at = greatest(t.last_order_at, EXCLUDED.last_order_at)`,
  },
};

/**
 * A projection's fold as plain SQL for a table of your own: the CREATE TABLE, and the statement folding events
 * `$1 < position <= $2` into it. The benchmark's baseline (one statement over the whole store, no Temporal).
 */
export function foldSql(name: ProjectionName, table: string): { create: string; apply: string } {
  return { create: `CREATE TABLE ${table} (${SQL[name].columns})`, apply: SQL[name].apply.replace('{table}', table) };
}

const PROJECTION_DDL = `
CREATE SCHEMA IF NOT EXISTS rm;
CREATE TABLE IF NOT EXISTS es.projections (name text PRIMARY KEY, serving int NOT NULL, previous int);
CREATE TABLE IF NOT EXISTS es.projection_versions (
  name text NOT NULL,
  version int NOT NULL,
  checkpoint bigint NOT NULL DEFAULT 0,
  until_position bigint,
  state text NOT NULL,
  rebuild_id text UNIQUE,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  swapped_at timestamptz,
  PRIMARY KEY (name, version)
);
-- A rebuild of a read model keyed by stream first folds the store as of \`stream_pass_until\` in stream order (see
-- applyStreamBatch): its cursor is the last stream and version folded, \`stream_pass_events\` how many; the cursor is
-- NULL once that pass is done (or for versions that never had one), and the checkpoint then moves on by position.
ALTER TABLE es.projection_versions ADD COLUMN IF NOT EXISTS stream_pass_until bigint,
  ADD COLUMN IF NOT EXISTS cursor_stream text, ADD COLUMN IF NOT EXISTS cursor_version int,
  ADD COLUMN IF NOT EXISTS stream_pass_events bigint NOT NULL DEFAULT 0;
`;

/** Any one number: migrations of the same store take turns on it, so two workers starting at once do not race. */
const MIGRATION_LOCK = 7_300_431;

/** The table of one version of a read model. */
export function versionTable(name: ProjectionName, version: number): string {
  return `rm.${name}_v${version}`;
}

/** Creates the store's and the projections' tables (idempotent), and version 1 of every projection, serving. */
export async function migrate(db: EventDb): Promise<void> {
  await db.transaction(async (c) => {
    await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await c.query(STORE_DDL);
    await c.query(PROJECTION_DDL);
    for (const name of PROJECTION_NAMES) {
      const found = await c.query('SELECT 1 FROM es.projections WHERE name = $1', [name]);
      if (found.rowCount !== 0) continue;
      await c.query(`CREATE TABLE ${versionTable(name, 1)} (${SQL[name].columns})`);
      await c.query(`INSERT INTO es.projection_versions (name, version, state) VALUES ($1, 1, 'serving')`, [name]);
      await c.query('INSERT INTO es.projections (name, serving) VALUES ($1, 1)', [name]);
      await c.query(`CREATE VIEW rm.${name} AS SELECT * FROM ${versionTable(name, 1)}`);
    }
  });
}

async function head(c: pg.ClientBase): Promise<number> {
  return Number((await c.query<{ position: string }>('SELECT position FROM es.head')).rows[0]?.position ?? 0);
}

/** Folds events `from < position <= to` into one version and moves its checkpoint to `to`, in the caller's transaction. */
async function applyRange(c: pg.ClientBase, name: ProjectionName, version: number, from: number, to: number) {
  if (to <= from) return;
  await c.query(SQL[name].apply.replace('{table}', versionTable(name, version)), [from, to]);
  await c.query('UPDATE es.projection_versions SET checkpoint = $3 WHERE name = $1 AND version = $2', [
    name,
    version,
    to,
  ]);
}

/** What one batch did: the version it wrote, the checkpoint before and after, and the store's head it saw. */
export interface BatchResult {
  readonly version: number;
  readonly from: number;
  readonly to: number;
  readonly head: number;
  /** Where this version stops: the head for a following projection, the `--until` position for an as-of build. */
  readonly target: number;
  /** A batch of the stream pass (applyStreamBatch): `from` and `to` count the events it has folded so far. */
  readonly streamPass?: true;
}

/**
 * One batch of the serving version: up to `maxEvents` after its checkpoint. Takes the projection's row lock, so it
 * never interleaves with a swap (which may change which version serves).
 */
export async function applyServingBatch(db: EventDb, name: ProjectionName, maxEvents: number): Promise<BatchResult> {
  return db.transaction(async (c) => {
    const p = await c.query<{ serving: number }>('SELECT serving FROM es.projections WHERE name = $1 FOR UPDATE', [
      name,
    ]);
    const version = p.rows[0]?.serving;
    if (version === undefined) throw new Error(`no projection ${name}: the store is not migrated`);
    const from = await checkpointOf(c, name, version);
    const top = await head(c);
    const to = Math.min(from + maxEvents, top);
    await applyRange(c, name, version, from, to);
    return { version, from, to, head: top, target: top };
  });
}

async function checkpointOf(c: pg.ClientBase, name: ProjectionName, version: number): Promise<number> {
  const v = await c.query<{ checkpoint: string }>(
    'SELECT checkpoint FROM es.projection_versions WHERE name = $1 AND version = $2 FOR UPDATE',
    [name, version],
  );
  const row = v.rows[0];
  if (row === undefined) throw new Error(`no version ${version} of projection ${name}`);
  return Number(row.checkpoint);
}

/** Where a rebuild stops: a position, or the last position recorded at or before a time. */
export type Until = { readonly position: number } | { readonly time: string };

/** A version being rebuilt (or built as of a past point). */
export interface RebuildVersion {
  readonly version: number;
  readonly untilPosition: number | null;
}

/**
 * Creates the next version of a projection for a rebuild, empty with checkpoint 0, or returns the version this
 * rebuild already created (a retried or resumed rebuild keeps its version and its checkpoint).
 */
export async function beginRebuild(
  db: EventDb,
  name: ProjectionName,
  rebuildId: string,
  until?: Until,
): Promise<RebuildVersion> {
  return db.transaction(async (c) => {
    await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    const existing = await c.query<{ version: number; until_position: string | null }>(
      'SELECT version, until_position FROM es.projection_versions WHERE rebuild_id = $1',
      [rebuildId],
    );
    const row = existing.rows[0];
    if (row !== undefined)
      return { version: row.version, untilPosition: row.until_position === null ? null : Number(row.until_position) };
    const next = await c.query<{ version: number }>(
      'SELECT max(version) + 1 AS version FROM es.projection_versions WHERE name = $1',
      [name],
    );
    const version = next.rows[0]?.version ?? 1;
    let untilPosition: number | null = null;
    if (until !== undefined && 'position' in until) untilPosition = Math.min(until.position, await head(c));
    else if (until !== undefined) {
      const at = await c.query<{ position: string | null }>(
        'SELECT max(position) AS position FROM es.events WHERE recorded_at <= $1::timestamptz',
        [until.time],
      );
      untilPosition = Number(at.rows[0]?.position ?? 0);
    }
    await c.query(`CREATE TABLE ${versionTable(name, version)} (${SQL[name].columns})`);
    // A read model keyed by stream is first folded in stream order, as of the head now (or the as-of point).
    const streamPass = SQL[name].streamPass !== undefined;
    await c.query(
      `INSERT INTO es.projection_versions (name, version, state, rebuild_id, until_position, stream_pass_until,
         cursor_stream, cursor_version)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        name,
        version,
        untilPosition === null ? 'building' : 'as-of',
        rebuildId,
        untilPosition,
        streamPass ? (untilPosition ?? (await head(c))) : null,
        streamPass ? '' : null,
        streamPass ? 0 : null,
      ],
    );
    return { version, untilPosition };
  });
}

/** One batch of a version under rebuild: up to `maxEvents` after its checkpoint, never past its `until`. */
export async function applyVersionBatch(
  db: EventDb,
  name: ProjectionName,
  version: number,
  maxEvents: number,
): Promise<BatchResult> {
  return db.transaction(async (c) => {
    const from = await checkpointOf(c, name, version);
    const u = await c.query<{ until_position: string | null }>(
      'SELECT until_position FROM es.projection_versions WHERE name = $1 AND version = $2',
      [name, version],
    );
    const top = await head(c);
    const until = u.rows[0]?.until_position;
    const target = until === null || until === undefined ? top : Number(until);
    const pass = await applyStreamBatch(c, name, version, maxEvents);
    if (pass !== undefined) return { version, ...pass, head: top, target };
    const to = Math.min(from + maxEvents, target);
    await applyRange(c, name, version, from, to);
    return { version, from, to, head: top, target };
  });
}

/**
 * One batch of a version's stream pass, in the caller's transaction, if it has one left: the next `maxEvents` events
 * in (stream, version) order up to the pass's position, moving the cursor with them. The pass is done when a batch
 * folds fewer events than asked; the checkpoint then becomes that position and later batches go by position. A
 * crash anywhere leaves the cursor and the table as they were. Returns the events folded before and after, as a
 * position-like progress (`to` stays below the pass's position until it is done, so no caller stops early), or
 * undefined when the version has no stream pass left.
 */
async function applyStreamBatch(
  c: pg.ClientBase,
  name: ProjectionName,
  version: number,
  maxEvents: number,
): Promise<{ from: number; to: number; streamPass: true } | undefined> {
  const sql = SQL[name].streamPass;
  // Read models keyed otherwise never have a pass: no query for them on every batch.
  if (sql === undefined) return undefined;
  const v = await c.query<{
    stream_pass_until: string | null;
    cursor_stream: string | null;
    cursor_version: number | null;
    stream_pass_events: string;
  }>(
    `SELECT stream_pass_until, cursor_stream, cursor_version, stream_pass_events FROM es.projection_versions
     WHERE name = $1 AND version = $2`,
    [name, version],
  );
  const row = v.rows[0];
  if (row === undefined || row.cursor_stream === null || row.stream_pass_until === null) return undefined;
  const until = Number(row.stream_pass_until);
  const before = Number(row.stream_pass_events);
  const r = await c.query<{ stream_id: string; version: number; events: string }>(
    sql.replace('{table}', versionTable(name, version)),
    [row.cursor_stream, row.cursor_version ?? 0, until, maxEvents],
  );
  const last = r.rows[0];
  const folded = Number(last?.events ?? 0);
  const done = folded < maxEvents;
  await c.query(
    `UPDATE es.projection_versions SET cursor_stream = $3, cursor_version = $4, stream_pass_events = $5,
       checkpoint = CASE WHEN $3::text IS NULL THEN stream_pass_until ELSE checkpoint END
     WHERE name = $1 AND version = $2`,
    [name, version, done ? null : (last?.stream_id ?? null), done ? null : (last?.version ?? null), before + folded],
  );
  return { from: before, to: done ? until : Math.min(before + folded, until - 1), streamPass: true };
}

/** How many events a swap folds per statement while it catches the new version up inside its transaction. */
const SWAP_BATCH = 100_000;

/** What a swap did. */
export interface SwapResult {
  readonly serving: number;
  readonly previous: number | null;
  /** Events the swap folded into the new version inside its transaction (the last ones). */
  readonly caughtUp: number;
  readonly checkpoint: number;
}

/**
 * Makes `version` serve: in one transaction, under the projection's row lock, folds the events it lacks, re-points
 * the view `rm.<name>` at it and records the version it replaced (kept, for rollback). Doing it again is a no-op.
 * An as-of version (built `--until` a past point) cannot serve: it does not follow the store.
 */
export async function swapTo(db: EventDb, name: ProjectionName, version: number): Promise<SwapResult> {
  return db.transaction(async (c) => {
    const p = await c.query<{ serving: number; previous: number | null }>(
      'SELECT serving, previous FROM es.projections WHERE name = $1 FOR UPDATE',
      [name],
    );
    const current = p.rows[0];
    if (current === undefined) throw new Error(`no projection ${name}: the store is not migrated`);
    const from = await checkpointOf(c, name, version);
    if (current.serving === version)
      return { serving: version, previous: current.previous, caughtUp: 0, checkpoint: from };
    const v = await c.query<{ until_position: string | null }>(
      'SELECT until_position FROM es.projection_versions WHERE name = $1 AND version = $2',
      [name, version],
    );
    if (v.rows[0]?.until_position !== null && v.rows[0]?.until_position !== undefined)
      throw new SwapRefused(`version ${version} of ${name} is as of a past point; it cannot serve`);
    const top = await head(c);
    // A stream pass not yet done (the rebuild stops within a batch of the head) is finished here, in the swap's
    // transaction, like the last events.
    let caughtUp = 0;
    let checkpoint = from;
    for (let pass = await applyStreamBatch(c, name, version, SWAP_BATCH); pass !== undefined;) {
      caughtUp += pass.to - pass.from;
      checkpoint = await checkpointOf(c, name, version);
      pass = await applyStreamBatch(c, name, version, SWAP_BATCH);
    }
    for (let at = checkpoint; at < top; at = Math.min(at + SWAP_BATCH, top))
      await applyRange(c, name, version, at, Math.min(at + SWAP_BATCH, top));
    await c.query(`CREATE OR REPLACE VIEW rm.${name} AS SELECT * FROM ${versionTable(name, version)}`);
    await c.query('UPDATE es.projections SET serving = $2, previous = $3 WHERE name = $1', [
      name,
      version,
      current.serving,
    ]);
    await c.query(
      `UPDATE es.projection_versions SET state = CASE version WHEN $2 THEN 'serving' ELSE 'retired' END,
         swapped_at = CASE version WHEN $2 THEN clock_timestamp() ELSE swapped_at END
       WHERE name = $1 AND version IN ($2, $3)`,
      [name, version, current.serving],
    );
    return { serving: version, previous: current.serving, caughtUp: caughtUp + top - checkpoint, checkpoint: top };
  });
}

/** A swap that must not happen (an as-of version, no version to roll back to). */
export class SwapRefused extends Error {
  override name = 'SwapRefused';
}

/** The version a rollback serves again: the one the last swap replaced. */
export async function previousVersion(db: EventDb, name: ProjectionName): Promise<number> {
  const rows = await db.query<{ previous: number | null }>('SELECT previous FROM es.projections WHERE name = $1', [
    name,
  ]);
  const previous = rows[0]?.previous;
  if (previous === null || previous === undefined)
    throw new SwapRefused(`${name} has no previous version to roll back to`);
  return previous;
}

/** One version of a projection, as `projection status` shows it. */
export interface VersionStatus {
  readonly version: number;
  readonly state: string;
  readonly checkpoint: number;
  readonly untilPosition: number | null;
  readonly rebuildId: string | null;
  /** A stream pass in progress: the events folded in stream order so far, of those up to position `until`. */
  readonly streamPass?: { readonly events: number; readonly until: number };
}

/** A projection's serving version and how far it is behind the store, in events and in seconds of recorded time. */
export interface ProjectionStatus {
  readonly name: ProjectionName;
  readonly serving: number;
  readonly previous: number | null;
  readonly checkpoint: number;
  readonly head: number;
  readonly lagEvents: number;
  readonly lagSeconds: number;
  readonly versions: readonly VersionStatus[];
}

export async function projectionStatus(db: EventDb, name: ProjectionName): Promise<ProjectionStatus> {
  const rows = await db.query<{
    serving: number;
    previous: number | null;
    checkpoint: string;
    head: string;
    lag_seconds: number | null;
  }>(
    `SELECT p.serving, p.previous, v.checkpoint, h.position AS head,
       extract(epoch FROM (SELECT recorded_at FROM es.events WHERE position = h.position)
         - coalesce((SELECT recorded_at FROM es.events WHERE position = v.checkpoint + 1),
                    (SELECT recorded_at FROM es.events WHERE position = h.position)))::float8 AS lag_seconds
     FROM es.projections p JOIN es.projection_versions v ON v.name = p.name AND v.version = p.serving, es.head h
     WHERE p.name = $1`,
    [name],
  );
  const row = rows[0];
  if (row === undefined) throw new Error(`no projection ${name}: the store is not migrated`);
  const versions = await db.query<{
    version: number;
    state: string;
    checkpoint: string;
    until_position: string | null;
    rebuild_id: string | null;
    stream_pass_until: string | null;
    cursor_stream: string | null;
    stream_pass_events: string;
  }>(
    `SELECT version, state, checkpoint, until_position, rebuild_id, stream_pass_until, cursor_stream,
       stream_pass_events
     FROM es.projection_versions WHERE name = $1 ORDER BY version`,
    [name],
  );
  const checkpoint = Number(row.checkpoint);
  const top = Number(row.head);
  return {
    name,
    serving: row.serving,
    previous: row.previous,
    checkpoint,
    head: top,
    lagEvents: top - checkpoint,
    lagSeconds: Math.max(0, row.lag_seconds ?? 0),
    versions: versions.map((v) => ({
      version: v.version,
      state: v.state,
      checkpoint: Number(v.checkpoint),
      untilPosition: v.until_position === null ? null : Number(v.until_position),
      rebuildId: v.rebuild_id,
      ...(v.cursor_stream !== null && v.stream_pass_until !== null
        ? { streamPass: { events: Number(v.stream_pass_events), until: Number(v.stream_pass_until) } }
        : {}),
    })),
  };
}
