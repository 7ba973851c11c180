import { z } from 'zod';
import { contract, identifier, nonEmpty } from './contract.js';

/**
 * A check's outcome, in the words of the summary's counts: `passed`, `failed`, `skipped`. A chain whose reply
 * has a `failed` check fails as `DataQualityFailed`. `pass` and `fail`, the spellings of earlier releases, are still
 * read, as `passed` and `failed`, so agents written against them keep working.
 */
export const CheckStatus = z.enum(['passed', 'failed', 'skipped', 'pass', 'fail']);
export type CheckStatus = z.infer<typeof CheckStatus>;

/** One check Radar ran (or skipped, and why), as runnable SQL with its measured value. */
export const CheckResult = contract({
  check: nonEmpty,
  table: identifier.optional(),
  sql: nonEmpty,
  status: CheckStatus,
  actual: z.union([z.number(), z.string()]).optional(),
  reason: nonEmpty.optional(),
});
export type CheckResult = z.infer<typeof CheckResult>;

export const ScenarioPlan = contract({ name: nonEmpty, steps: z.array(nonEmpty).min(1) });
export type ScenarioPlan = z.infer<typeof ScenarioPlan>;

/** How many checks passed, failed and were skipped. */
export const CheckSummary = contract({
  passed: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  skipped: z.number().int().nonnegative(),
});

/** Radar's reply at the end of Pattern D: each check as SQL with its outcome, and a plan per scenario. */
export const RadarOutput = contract({
  checks: z.array(CheckResult),
  scenarios: z.array(ScenarioPlan),
  summary: CheckSummary,
});
export type RadarOutput = z.infer<typeof RadarOutput>;
