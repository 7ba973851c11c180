import { z } from 'zod';
import { contract, nonEmpty } from './contract';

/** Canvas's reply at the end of Pattern C: the diagram, as Mermaid source. */
export const CanvasOutput = contract({
  format: z.literal('mermaid'),
  diagram: nonEmpty,
  nodes: z.number().int().nonnegative(),
  edges: z.number().int().nonnegative(),
});
export type CanvasOutput = z.infer<typeof CanvasOutput>;
