import { z } from 'zod';
import { contract, identifier } from './contract.js';

/**
 * Schema → Stream (Pattern A, "Input from Schema"): the source tables of a newly designed model and the
 * model they feed. Stream answers with the connector requirements Builder needs.
 */
export const SchemaToStream = contract({
  source_tables: z.array(identifier).min(1, { message: 'expected at least one source table' }),
  target_model: identifier,
  /** A table's key columns when they are not `id` (the seed names none): carried to Builder's connector spec. */
  primary_keys: z
    .record(identifier, z.array(identifier).min(1, { message: 'expected at least one key column' }))
    .optional(),
});
export type SchemaToStream = z.infer<typeof SchemaToStream>;
