import { z } from 'zod';
import { contract, nonEmpty } from './contract.js';

/** Canvas's reply at the end of Pattern C: the diagram, as Mermaid source, and where a rendering of it went. */
export const CanvasOutput = contract({
  format: z.literal('mermaid'),
  diagram: nonEmpty,
  nodes: z.number().int().nonnegative(),
  edges: z.number().int().nonnegative(),
  /** The artifact holding the diagram rendered as SVG, if the agent rendered one (the built-in does). */
  svg_artifact: nonEmpty.optional(),
});
export type CanvasOutput = z.infer<typeof CanvasOutput>;
