import { z } from 'zod';
import { contract, nonEmpty } from './contract.js';

export const Edge = contract({ from: nonEmpty, to: nonEmpty, label: nonEmpty.optional() });
export type Edge = z.infer<typeof Edge>;

/** Stream → Canvas (Pattern C, "Output to Canvas"): the components of a pipeline and how data moves. */
export const StreamToCanvas = contract({
  diagram_type: z.enum(['data_flow', 'architecture']),
  components: contract({
    sources: z.array(nonEmpty).min(1, { message: 'expected at least one source' }),
    processing: z.array(nonEmpty),
    sinks: z.array(nonEmpty).min(1, { message: 'expected at least one sink' }),
  }),
  edges: z.array(Edge),
}).superRefine((value, ctx) => {
  const known = [...value.components.sources, ...value.components.processing, ...value.components.sinks];
  value.edges.forEach((edge, i) => {
    for (const end of ['from', 'to'] as const) {
      if (!known.includes(edge[end])) {
        ctx.addIssue({
          code: 'custom',
          path: ['edges', i, end],
          message: `expected one of the components (${known.join(', ')}), got "${edge[end]}"`,
        });
      }
    }
  });
});
export type StreamToCanvas = z.infer<typeof StreamToCanvas>;
