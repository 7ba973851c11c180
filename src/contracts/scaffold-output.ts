import { z } from 'zod';
import { contract, nonEmpty } from './contract.js';

export const PlanItem = contract({
  resource: nonEmpty,
  spec: nonEmpty,
  quantity: z.number().nonnegative(),
  unit: nonEmpty,
  unit_price_usd: z.number().nonnegative(),
  monthly_cost_usd: z.number().nonnegative(),
});
export type PlanItem = z.infer<typeof PlanItem>;

/** Scaffold's reply at the end of Pattern E: a provisioning plan and its monthly cost. */
export const ScaffoldOutput = contract({
  plan: z.array(PlanItem).min(1),
  monthly_cost_usd: z.number().nonnegative(),
  price_table: nonEmpty,
});
export type ScaffoldOutput = z.infer<typeof ScaffoldOutput>;
