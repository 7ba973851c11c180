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
});
export type ConnectorSpec = z.infer<typeof ConnectorSpec>;

/** Builder's reply at the end of Pattern A. */
export const BuilderOutput = contract({
  connectors: z.array(ConnectorSpec).min(1, { message: 'expected at least one connector' }),
});
export type BuilderOutput = z.infer<typeof BuilderOutput>;
