import { z } from 'zod';
import { contract, identifier, nonEmpty } from './contract.js';

/**
 * One group of tests. `data_quality` groups carry `checks` (run against `table`, a field the seed does not
 * name but Stream adds); `integration` groups carry `scenarios`.
 */
export const TestRequirement = contract({
  type: z.enum(['data_quality', 'integration']),
  table: identifier.optional(),
  checks: z.array(nonEmpty).optional(),
  scenarios: z.array(nonEmpty).optional(),
}).superRefine((value, ctx) => {
  if (value.type === 'data_quality' && (value.checks === undefined || value.checks.length === 0)) {
    ctx.addIssue({ code: 'custom', path: ['checks'], message: 'expected checks for type "data_quality", got none' });
  }
  if (value.type === 'integration' && (value.scenarios === undefined || value.scenarios.length === 0)) {
    ctx.addIssue({
      code: 'custom',
      path: ['scenarios'],
      message: 'expected scenarios for type "integration", got none',
    });
  }
});
export type TestRequirement = z.infer<typeof TestRequirement>;

/** Stream → Radar (Pattern D, "Output to Radar"). */
export const StreamToRadar = contract({
  test_requirements: z.array(TestRequirement).min(1, { message: 'expected at least one test requirement' }),
});
export type StreamToRadar = z.infer<typeof StreamToRadar>;
