import { z } from 'zod';
import { contract, identifier, nonEmpty } from './contract.js';
import { ExtractionMethod } from './stream-to-builder.js';

/** A connector spec Builder produced: what to extract and the SQL that does it. */
export const ConnectorSpec = contract({
  name: nonEmpty,
  api: nonEmpty,
  table: identifier,
  method: ExtractionMethod,
  cursor: contract({ field: identifier, initial: nonEmpty }).optional(),
  extraction_sql: nonEmpty,
  /** The source row's key, for merging into staging (an updated row replaces its staged copy). Default `[id]`. */
  primary_key: z.array(identifier).min(1, { message: 'expected at least one key column' }).optional(),
  /** The connection (by name, in the extract's configuration) the connector reads. Default: the only one. */
  source: identifier.optional(),
  /** For an HTTP JSON API source: the resource path under its base URL. Default `/<table>`. */
  path: z.string().regex(/^\//, { message: 'expected a path starting with /' }).optional(),
});
export type ConnectorSpec = z.infer<typeof ConnectorSpec>;

/** Builder's reply at the end of Pattern A. */
export const BuilderOutput = contract({
  connectors: z.array(ConnectorSpec).min(1, { message: 'expected at least one connector' }),
});
export type BuilderOutput = z.infer<typeof BuilderOutput>;
