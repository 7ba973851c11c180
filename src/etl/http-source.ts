import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure } from '@temporalio/common';
import type { HttpConnection } from './contracts.js';
import type { SourceBatch, SourceColumn } from './staging.js';

/** Failure types of the HTTP source, as ApplicationFailure `type`s. */
export const HttpSourceFailure = {
  /** The API refused the request (a 4xx other than 408/429): retrying will not help. */
  SourceRejected: 'SourceRejected',
  /** The API stayed unavailable (408/429/5xx, resets) through every attempt: Temporal may retry later. */
  SourceUnavailable: 'SourceUnavailable',
} as const;

/** The longest Retry-After honoured in place; a longer one ends the attempt and leaves the wait to Temporal. */
const MAX_RETRY_AFTER_MS = 60_000;

/** Milliseconds a Retry-After header asks for (delta-seconds or an HTTP date), or undefined if absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  if (header.trim() !== '' && Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

async function fetchPage(url: URL, conn: HttpConnection, headers: Headers, signal?: AbortSignal): Promise<unknown> {
  let lastProblem = '';
  for (let attempt = 1; attempt <= conn.max_attempts; attempt++) {
    signal?.throwIfAborted();
    let wait = Math.min(250 * 2 ** (attempt - 1), 10_000);
    try {
      const response = await fetch(url, { headers, ...(signal !== undefined ? { signal } : {}) });
      if (response.ok) return await response.json();
      const body = (await response.text()).slice(0, 500);
      const { status } = response;
      if (status !== 408 && status !== 429 && status < 500) {
        throw ApplicationFailure.nonRetryable(
          `GET ${url.pathname}: HTTP ${status}: ${body}`,
          HttpSourceFailure.SourceRejected,
        );
      }
      lastProblem = `HTTP ${status}`;
      const asked = retryAfterMs(response.headers.get('retry-after'));
      if (asked !== undefined) {
        if (asked > MAX_RETRY_AFTER_MS) break;
        wait = asked;
      }
    } catch (err) {
      if (err instanceof ApplicationFailure || signal?.aborted === true) throw err;
      lastProblem = err instanceof Error ? err.message : String(err);
    }
    if (attempt < conn.max_attempts) await sleep(wait, undefined, signal !== undefined ? { signal } : {});
  }
  throw ApplicationFailure.retryable(
    `GET ${url.pathname}: still failing after ${conn.max_attempts} attempts (${lastProblem})`,
    HttpSourceFailure.SourceUnavailable,
  );
}

/** DuckDB type for a column from the JSON values seen in it. */
function inferType(values: readonly unknown[]): string {
  const seen = values.filter((v) => v !== null && v !== undefined);
  if (seen.length === 0) return 'VARCHAR';
  if (seen.every((v) => typeof v === 'boolean')) return 'BOOLEAN';
  if (seen.every((v) => typeof v === 'number' && Number.isSafeInteger(v))) return 'BIGINT';
  if (seen.every((v) => typeof v === 'number')) return 'DOUBLE';
  return 'VARCHAR';
}

/** A JSON value as text: strings as they are, numbers and booleans as JSON prints them, objects as JSON. */
const asText = (value: unknown): string | null =>
  value === null || value === undefined ? null : typeof value === 'string' ? value : JSON.stringify(value);

/**
 * Reads every page of one resource of an HTTP JSON API for the window (`cursor`, `until`]: the cursor parameter is
 * sent only for incremental reads, the next page is followed until the API says there is none. 429 and 503 are
 * retried after their Retry-After; 408, other 5xx and resets with backoff; other 4xx fail at once, non-retryable.
 */
export async function readHttp(
  conn: HttpConnection,
  path: string,
  window: { cursor: string | null; until: string | null },
  options: { env?: NodeJS.ProcessEnv; signal?: AbortSignal } = {},
): Promise<SourceBatch> {
  const headers = new Headers({ accept: 'application/json' });
  if (conn.token_env !== undefined) {
    const token = (options.env ?? process.env)[conn.token_env];
    if (token === undefined || token === '') {
      throw ApplicationFailure.nonRetryable(`env var ${conn.token_env} (the API token) is not set`, 'SourceRejected');
    }
    headers.set('authorization', `Bearer ${token}`);
  }
  const base = conn.base_url.endsWith('/') ? conn.base_url : `${conn.base_url}/`;
  let url: URL | undefined = new URL(path.replace(/^\//, ''), base);
  if (window.cursor !== null) url.searchParams.set(conn.cursor_param, window.cursor);
  if (window.until !== null) url.searchParams.set(conn.until_param, window.until);
  url.searchParams.set(conn.limit_param, String(conn.page_size));
  const records: Record<string, unknown>[] = [];
  const seenPages = new Set<string>();
  while (url !== undefined) {
    if (seenPages.has(url.href)) throw new Error(`GET ${url.pathname}: the API's next page repeats ${url.href}`);
    seenPages.add(url.href);
    const body = await fetchPage(url, conn, headers, options.signal);
    if (typeof body !== 'object' || body === null) throw new Error(`GET ${url.pathname}: expected a JSON object`);
    const page: Record<string, unknown> = { ...body };
    const items: unknown = page[conn.records_field];
    if (!Array.isArray(items)) throw new Error(`GET ${url.pathname}: expected an array in "${conn.records_field}"`);
    const list: unknown[] = items;
    for (const item of list) {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        throw new Error(`GET ${url.pathname}: expected objects in "${conn.records_field}"`);
      }
      records.push(Object.fromEntries(Object.entries(item)));
    }
    const next = page[conn.next_field];
    url = typeof next === 'string' && next !== '' ? new URL(next, base) : undefined;
  }
  const names: string[] = [];
  for (const record of records) for (const key of Object.keys(record)) if (!names.includes(key)) names.push(key);
  const columns: SourceColumn[] = names.map((name) => ({ name, type: inferType(records.map((r) => r[name])) }));
  return { columns, rows: records.map((r) => names.map((name) => asText(r[name]))) };
}
