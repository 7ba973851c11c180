import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withWarehouse } from '../../src/agents/builtin/warehouse.js';
import type { ConnectorSpec } from '../../src/contracts/builder-output.js';
import { HttpConnection } from '../../src/etl/contracts.js';
import { runExtract } from '../../src/etl/extract.js';
import { retryAfterMs } from '../../src/etl/http-source.js';

interface ApiOrder {
  id: number;
  status: string;
  amount: number;
  updated_at: string;
  meta: { channel: string };
}

const TOKEN = 'test-token-not-a-secret';

/**
 * A paginated JSON API on 127.0.0.1: `/orders?updated_after=&updated_before=&limit=&page=` answering
 * `{data, next}` in `updated_at` order; the first request it ever gets is answered 429 with Retry-After: 1.
 */
function startApi(orders: ApiOrder[]): Promise<{ server: Server; baseUrl: string; log: string[] }> {
  const log: string[] = [];
  let first = true;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      res.writeHead(401).end('{"error":"unauthorized"}');
      return;
    }
    if (first) {
      first = false;
      log.push('429');
      res.writeHead(429, { 'retry-after': '1' }).end('{"error":"slow down"}');
      return;
    }
    if (url.pathname !== '/orders') {
      log.push(`404 ${url.pathname}`);
      res.writeHead(404).end('{"error":"no such resource"}');
      return;
    }
    const after = url.searchParams.get('updated_after') ?? '';
    const before = url.searchParams.get('updated_before') ?? '\uffff';
    const limit = Number(url.searchParams.get('limit'));
    const page = Number(url.searchParams.get('page') ?? '0');
    log.push(`page ${page}`);
    const window = orders
      .filter((o) => o.updated_at > after && o.updated_at <= before)
      .sort((a, b) => a.updated_at.localeCompare(b.updated_at));
    const data = window.slice(page * limit, (page + 1) * limit);
    const nextUrl = new URL(url);
    nextUrl.searchParams.set('page', String(page + 1));
    const next = (page + 1) * limit < window.length ? `${nextUrl.pathname}${nextUrl.search}` : null;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data, next }));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      resolve({ server, baseUrl: `http://127.0.0.1:${port}`, log });
    }),
  );
}

const spec: ConnectorSpec = {
  name: 'orders_api_connector',
  api: 'orders_api',
  table: 'api_orders',
  method: 'incremental',
  cursor: { field: 'updated_at', initial: '1970-01-01T00:00:00Z' },
  extraction_sql: 'SELECT * FROM api_orders WHERE updated_at > $cursor AND updated_at <= $high_watermark',
  primary_key: ['id'],
  path: '/orders',
};

describe('extract from an HTTP JSON API', () => {
  const orders: ApiOrder[] = Array.from({ length: 23 }, (_, i) => ({
    id: i + 1,
    status: 'placed',
    amount: 100 + i,
    updated_at: `2026-11-01T10:${String(i).padStart(2, '0')}:00Z`,
    meta: { channel: i % 2 === 0 ? 'web' : 'store' },
  }));
  let api: Awaited<ReturnType<typeof startApi>>;
  let dir = '';
  let warehouse = '';
  const connections = {
    api: HttpConnection.parse({ kind: 'http', base_url: 'http://127.0.0.1:1', token_env: 'API_TOKEN', page_size: 10 }),
  };
  const run = (specs: ConnectorSpec[] = [spec], highWatermark?: string) =>
    runExtract(specs, {
      warehouse,
      connections: { api: { ...connections.api, base_url: api.baseUrl } },
      env: { API_TOKEN: TOKEN },
      ...(highWatermark !== undefined ? { highWatermark } : {}),
    });

  beforeAll(async () => {
    api = await startApi(orders);
    dir = mkdtempSync(join(tmpdir(), 'etl-http-'));
    warehouse = join(dir, 'warehouse.duckdb');
  });
  afterAll(async () => {
    await new Promise((resolve) => api.server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('follows every page, waits out a 429 with Retry-After, and loads each record once', async () => {
    const started = Date.now();
    const result = await run();
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(api.log).toEqual(['429', 'page 0', 'page 1', 'page 2']);
    expect(result.tables).toEqual([
      {
        connector: 'orders_api_connector',
        source_table: 'api_orders',
        staging_table: 'staging.api_orders',
        method: 'incremental',
        rows: 23,
        staging_rows: 23,
        cursor_from: '1970-01-01T00:00:00Z',
        cursor_to: '2026-11-01T10:22:00Z',
      },
    ]);
    const rows = await withWarehouse(warehouse, async (conn) =>
      (await conn.runAndReadAll('SELECT id, amount, meta FROM staging.api_orders ORDER BY id LIMIT 2')).getRowsJS(),
    );
    expect(rows).toEqual([
      [1n, 100n, '{"channel":"web"}'],
      [2n, 101n, '{"channel":"store"}'],
    ]);
  });

  it('next run sends the stored cursor and merges only new and changed records by id', async () => {
    api.log.length = 0;
    orders[4] = { ...orders[4]!, status: 'refunded', updated_at: '2026-11-02T08:00:00Z' };
    orders[9] = { ...orders[9]!, status: 'refunded', updated_at: '2026-11-02T08:01:00Z' };
    orders.push({ id: 24, status: 'placed', amount: 7, updated_at: '2026-11-02T09:00:00Z', meta: { channel: 'web' } });
    orders.push({ id: 25, status: 'placed', amount: 8, updated_at: '2026-11-03T09:00:00Z', meta: { channel: 'web' } });
    const result = await run([spec], '2026-11-02T23:59:59Z');
    expect(api.log).toEqual(['page 0']);
    expect(result.tables[0]).toMatchObject({
      rows: 3,
      staging_rows: 24,
      cursor_from: '2026-11-01T10:22:00Z',
      cursor_to: '2026-11-02T09:00:00Z',
    });
    const refunded = await withWarehouse(warehouse, async (conn) =>
      (
        await conn.runAndReadAll(
          `SELECT list(id ORDER BY id) FILTER (WHERE status = 'refunded'), count(*) - count(DISTINCT id)
           FROM staging.api_orders`,
        )
      ).getRowsJS(),
    );
    expect(refunded).toEqual([[[5n, 10n], 0n]]);
  });

  it('fails non-retryably on a 4xx the API means', async () => {
    const missing: ConnectorSpec = { ...spec, name: 'missing', table: 'missing', path: '/missing' };
    const failure: unknown = await run([missing]).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'SourceRejected', nonRetryable: true });
    expect(api.log.at(-1)).toBe('404 /missing');
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(retryAfterMs('2')).toBe(2000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 7_000)).toBe(3000);
    expect(retryAfterMs(null)).toBeUndefined();
    expect(retryAfterMs('soon')).toBeUndefined();
  });
});
