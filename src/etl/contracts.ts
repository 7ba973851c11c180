import { z } from 'zod';
import { contract, identifier, nonEmpty } from '../contracts/contract.js';
import { ExtractionMethod } from '../contracts/stream-to-builder.js';

/** A PostgreSQL source (a real server, or the embedded PGlite): its URL is read from the env var it names. */
export const PostgresConnection = contract({
  kind: z.literal('postgres'),
  url_env: identifier.default('SOURCE_DATABASE_URL'),
  /**
   * The server takes one client at a time (the embedded PGlite over pglite-socket drops a second connection):
   * extract runs in this process then take turns on it, each holding its turn from reading the cursor to COMMIT.
   */
  single_client: z.boolean().default(false),
});
export type PostgresConnection = z.infer<typeof PostgresConnection>;

/**
 * An HTTP JSON API source. A page is `GET {base_url}{path}?{cursor_param}=…&{until_param}=…&{limit_param}=…`
 * answering `{ <records_field>: [...], <next_field>: url | null }`; the next page is that URL (absolute, or
 * relative to base_url). A bearer token is read from `token_env`, never stored.
 */
export const HttpConnection = contract({
  kind: z.literal('http'),
  base_url: z.url({ message: 'expected an http(s) URL' }),
  token_env: identifier.optional(),
  cursor_param: nonEmpty.default('updated_after'),
  until_param: nonEmpty.default('updated_before'),
  limit_param: nonEmpty.default('limit'),
  page_size: z.number().int().positive().default(500),
  records_field: nonEmpty.default('data'),
  next_field: nonEmpty.default('next'),
  /** Tries per page when the API answers 408/429/5xx or the connection fails, honouring Retry-After. */
  max_attempts: z.number().int().positive().default(5),
});
export type HttpConnection = z.infer<typeof HttpConnection>;

export const SourceConnection = z.discriminatedUnion('kind', [PostgresConnection, HttpConnection]);
export type SourceConnection = z.infer<typeof SourceConnection>;

/** What one connector moved: a reference to the staging table and the cursor window, never the rows. */
export const ExtractedTable = contract({
  connector: nonEmpty,
  source_table: identifier,
  staging_table: identifier,
  method: ExtractionMethod,
  /** Rows read from the source in this run (after de-duplication by primary key). */
  rows: z.number().int().nonnegative(),
  /** Rows the staging table holds after the run. */
  staging_rows: z.number().int().nonnegative(),
  cursor_from: z.string().nullable(),
  cursor_to: z.string().nullable(),
});
export type ExtractedTable = z.infer<typeof ExtractedTable>;

/** The extract stage's reply: one entry per connector, in the order of the specs. */
export const ExtractResult = contract({
  high_watermark: z.string().nullable(),
  tables: z.array(ExtractedTable),
});
export type ExtractResult = z.infer<typeof ExtractResult>;
