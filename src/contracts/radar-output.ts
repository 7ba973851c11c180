import { z } from 'zod';
import { contract, identifier, nonEmpty } from './contract.js';

export const CheckResult = contract({
  check: nonEmpty,
  table: identifier.optional(),
  sql: nonEmpty,
  status: z.enum(['pass', 'fail', 'skipped']),
  actual: z.union([z.number(), z.string()]).optional(),
  reason: nonEmpty.optional(),
});
export type CheckResult = z.infer<typeof CheckResult>;

export const ScenarioPlan = contract({ name: nonEmpty, steps: z.array(nonEmpty).min(1) });
export type ScenarioPlan = z.infer<typeof ScenarioPlan>;

/** Radar's reply at the end of Pattern D: each check as SQL with its outcome, and a plan per scenario. */
export const RadarOutput = contract({
  checks: z.array(CheckResult),
  scenarios: z.array(ScenarioPlan),
  summary: contract({
    passed: z.number().int().nonnegative(),
    failed: z.number().int().nonnegative(),
    skipped: z.number().int().nonnegative(),
  }),
});
export type RadarOutput = z.infer<typeof RadarOutput>;
