import { z } from 'zod';
import { contract, identifier, nonEmpty } from './contract.js';

/** How a connector extracts: by a cursor column, a full reload, or change data capture. */
export const ExtractionMethod = z.enum(['incremental', 'full', 'cdc']);
export type ExtractionMethod = z.infer<typeof ExtractionMethod>;

/** One connector Builder must implement. `key` is the cursor column; incremental extraction needs one. */
export const ConnectorRequirement = contract({
  api: nonEmpty,
  method: ExtractionMethod,
  key: identifier.optional(),
  /** The source table's key columns, when Schema named them (not in the seed). */
  primary_key: z.array(identifier).min(1, { message: 'expected at least one key column' }).optional(),
}).superRefine((value, ctx) => {
  if (value.method === 'incremental' && value.key === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['key'],
      message: 'expected a cursor column for method "incremental", got nothing',
    });
  }
});
export type ConnectorRequirement = z.infer<typeof ConnectorRequirement>;

/** Stream → Builder (Pattern A, "Output to Builder"). */
export const StreamToBuilder = contract({
  connector_requirements: z
    .array(ConnectorRequirement)
    .min(1, { message: 'expected at least one connector requirement' }),
});
export type StreamToBuilder = z.infer<typeof StreamToBuilder>;
