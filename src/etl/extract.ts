import { resolve } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { withWarehouse } from '../agents/builtin/warehouse.js';
import { FailureType } from '../identity/failures.js';
import type { ConnectorSpec } from '../contracts/builder-output.js';
import type { ExtractedTable, ExtractResult, SourceConnection } from './contracts.js';
import { readHttp } from './http-source.js';
import { readPostgres } from './postgres-source.js';
import { textClient } from './source.js';
import { CursorMoved, mergeBatch, readCursor, type SourceBatch } from './staging.js';
import type pg from 'pg';

/** Where and how an extract runs. Connections are configuration; their secrets come from `env`. */
export interface ExtractOptions {
  /** The DuckDB warehouse file. */
  readonly warehouse: string;
  /** Ends waits (the warehouse lock, Retry-After) when the handoff times out or is cancelled. */
  readonly signal?: AbortSignal;
  /** Source connections by name; a spec picks one with `source`, or uses the only one. */
  readonly connections: Readonly<Record<string, SourceConnection>>;
  /** Where `url_env` and `token_env` are looked up. Default: process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * The upper bound of incremental windows (`$high_watermark`, the API's until parameter), e.g. the partition's
   * end. Undefined reads everything: `infinity` for SQL sources (a timestamp or date cursor), no bound for APIs.
   */
  readonly highWatermark?: string;
  /** Called inside each table's transaction before COMMIT; tests throw here to simulate a crash. */
  readonly beforeCommit?: (stagingTable: string) => void | Promise<void>;
}

/** Runs in this process waiting for, or holding, a single-client source, by URL. */
const sourceTurns = new Map<string, Promise<unknown>>();

/**
 * Runs in this process extracting into one staging table (by warehouse file and table), from reading its cursor to
 * committing: parallel partitions of a backfill take turns per table instead of racing to a `CursorMoved` retry.
 * Across processes the cursor check in the commit still decides.
 */
const tableTurns = new Map<string, Promise<unknown>>();

/** Waits for this process's turn on `key`; resolves to the function that ends the turn. */
async function takeTurn(turns: Map<string, Promise<unknown>>, key: string): Promise<() => void> {
  const previous = turns.get(key) ?? Promise.resolve();
  let release: () => void = () => undefined;
  const mine = new Promise<void>((resolve) => (release = resolve));
  const turn = previous.then(() => mine);
  turns.set(key, turn);
  await previous;
  return () => {
    release();
    if (turns.get(key) === turn) turns.delete(key);
  };
}

/** The staging table a connector loads: the source table's name without its schema. */
export function stagingTableOf(spec: ConnectorSpec): string {
  return spec.table.split('.').pop() ?? spec.table;
}

function connectionOf(spec: ConnectorSpec, connections: ExtractOptions['connections']): SourceConnection {
  const names = Object.keys(connections);
  const name = spec.source ?? (names.length === 1 ? names[0] : undefined);
  const found = name !== undefined ? connections[name] : undefined;
  if (found === undefined) {
    throw new Error(
      `${spec.name}: ${spec.source !== undefined ? `no connection "${spec.source}"` : 'name a connection in "source"'}` +
        ` (connections: ${names.join(', ') || 'none'})`,
    );
  }
  return found;
}

/**
 * Runs Builder's connector specs (Airbyte's role): each reads its window from its source — rows whose cursor is
 * after the table's stored cursor (and at most the high watermark) for `incremental`, everything for `full` (and,
 * until a CDC reader exists, for `cdc`: its initial snapshot) — and merges them into `staging.<table>` by primary
 * key, advancing the cursor in the same DuckDB transaction. The source is read before the warehouse is opened, so
 * the file is held only while writing; a run that finds the cursor moved meanwhile writes nothing (`CursorMoved`).
 * Connectors run one after another over one connection per source (PGlite serves one client). Returns references.
 */
export async function runExtract(specs: readonly ConnectorSpec[], options: ExtractOptions): Promise<ExtractResult> {
  const env = options.env ?? process.env;
  const clients = new Map<string, pg.Client>();
  const tables: ExtractedTable[] = [];
  // Turns on single-client sources are taken before the first cursor is read, so a run that waited reads the
  // cursor the previous run committed. In URL order, so two runs never wait on each other.
  const singleClientUrls = [
    ...new Set(
      specs.flatMap((spec) => {
        const conn = connectionOf(spec, options.connections);
        const url = conn.kind === 'postgres' && conn.single_client ? env[conn.url_env] : undefined;
        return url !== undefined && url !== '' ? [url] : [];
      }),
    ),
  ].sort();
  const releases: (() => void)[] = [];
  try {
    for (const url of singleClientUrls) releases.push(await takeTurn(sourceTurns, url));
    for (const spec of specs) {
      options.signal?.throwIfAborted();
      const conn = connectionOf(spec, options.connections);
      const stagingTable = stagingTableOf(spec);
      const incremental = spec.method === 'incremental';
      const cursorField = spec.cursor?.field;
      if (incremental && cursorField === undefined) {
        throw new Error(`${spec.name}: an incremental connector needs cursor.field`);
      }
      const endTableTurn = await takeTurn(tableTurns, `${resolve(options.warehouse)}#${stagingTable}`);
      try {
        const stored = await withWarehouse({ warehouse: options.warehouse, signal: options.signal }, (duck) =>
          readCursor(duck, stagingTable),
        );
        const cursorFrom = incremental ? (stored ?? spec.cursor?.initial ?? null) : null;
        let batch: SourceBatch;
        if (conn.kind === 'postgres') {
          const url = env[conn.url_env];
          if (url === undefined || url === '') {
            // The worker's configuration, not a passing fault: say so at once instead of retrying.
            throw ApplicationFailure.nonRetryable(
              `${spec.name}: env var ${conn.url_env} is not set in the worker's environment (the source's postgres:// URL)`,
              'SourceNotConfigured',
            );
          }
          let client = clients.get(url);
          if (client === undefined) {
            client = textClient(url);
            clients.set(url, client);
            await client.connect();
          }
          batch = await readPostgres(client, spec.extraction_sql, {
            cursor: cursorFrom,
            high_watermark: options.highWatermark ?? 'infinity',
          });
        } else {
          batch = await readHttp(
            conn,
            spec.path ?? `/${stagingTable}`,
            { cursor: cursorFrom, until: incremental ? (options.highWatermark ?? null) : null },
            { env, ...(options.signal !== undefined ? { signal: options.signal } : {}) },
          );
        }
        const outcome = await withWarehouse({ warehouse: options.warehouse, signal: options.signal }, (duck) =>
          mergeBatch(duck, batch, {
            stagingTable,
            method: incremental ? 'incremental' : 'full',
            primaryKey: spec.primary_key ?? ['id'],
            cursorField: incremental ? cursorField : undefined,
            expectedCursor: stored,
            cursorFrom,
            ...(options.beforeCommit !== undefined ? { beforeCommit: () => options.beforeCommit?.(stagingTable) } : {}),
          }),
        ).catch((err: unknown) => {
          // Another run advanced the cursor after this one read it: nothing was written; a retry reads from there.
          if (err instanceof CursorMoved) throw ApplicationFailure.retryable(err.message, FailureType.CursorMoved);
          throw err;
        });
        tables.push({
          connector: spec.name,
          source_table: spec.table,
          staging_table: `staging.${stagingTable}`,
          method: spec.method,
          rows: outcome.rows,
          staging_rows: outcome.stagingRows,
          cursor_from: cursorFrom,
          cursor_to: outcome.cursorTo,
        });
      } finally {
        endTableTurn();
      }
    }
  } finally {
    for (const client of clients.values()) await client.end().catch(() => undefined);
    for (const release of releases.reverse()) release();
  }
  return { high_watermark: options.highWatermark ?? null, tables };
}
