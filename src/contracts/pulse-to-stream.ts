import { z } from 'zod';
import { contract, identifier, nonEmpty } from './contract.js';

/**
 * A metric Pulse defines. `grain` is the level the metric is reported at: a time grain (`hour`, `day`,
 * `week`, `month`, `quarter`, `year`) or an entity (`customer`).
 */
export const Metric = contract({
  name: identifier,
  grain: identifier,
  aggregation: nonEmpty.optional(),
  window: nonEmpty.optional(),
});
export type Metric = z.infer<typeof Metric>;

/** Pulse → Stream (Pattern B, "Input from Pulse"). */
export const PulseToStream = contract({
  metrics: z.array(Metric).min(1, { message: 'expected at least one metric' }),
});
export type PulseToStream = z.infer<typeof PulseToStream>;
