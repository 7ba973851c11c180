import { z } from 'zod';
import { contract, identifier } from './contract.js';

/** One mart table Schema must create. `partitioning` names one of its columns. */
export const MartRequirement = contract({
  name: identifier,
  columns: z.array(identifier).min(1, { message: 'expected at least one column' }),
  partitioning: identifier.optional(),
}).superRefine((value, ctx) => {
  if (value.partitioning !== undefined && !value.columns.includes(value.partitioning)) {
    ctx.addIssue({
      code: 'custom',
      path: ['partitioning'],
      message: `expected one of the columns (${value.columns.join(', ')}), got "${value.partitioning}"`,
    });
  }
});
export type MartRequirement = z.infer<typeof MartRequirement>;

/** Stream → Schema (Pattern B, "Output to Schema"). */
export const StreamToSchema = contract({
  mart_requirements: z.array(MartRequirement).min(1, { message: 'expected at least one mart requirement' }),
});
export type StreamToSchema = z.infer<typeof StreamToSchema>;
