import { z } from 'zod';
import { contract, identifier, nonEmpty } from './contract.js';

/** How data leaves a source. */
export const Ingest = z.enum(['cdc', 'incremental', 'batch', 'stream']);

export const SourceSpec = contract({
  name: nonEmpty,
  kind: nonEmpty.optional(),
  ingest: Ingest,
  tables: z.array(identifier).optional(),
});

export const ProcessingSpec = contract({
  name: nonEmpty,
  role: z.enum(['stream', 'batch']),
});

export const SinkTable = contract({ name: identifier, key: identifier.optional() });

export const SinkSpec = contract({
  name: nonEmpty,
  kind: z.enum(['warehouse', 'cache', 'lake', 'database', 'feature_store', 'dashboard']),
  tables: z.array(SinkTable).optional(),
});

/** Expected data volume; Stream sizes infrastructure from it. */
export const Volume = contract({
  ingest_gb_per_day: z.number().positive(),
  retention_days: z.number().int().positive(),
  batch_gb_per_day: z.number().nonnegative(),
});

/**
 * A pipeline request handed to Stream (Patterns C, D, E): the sources, processing engines and sinks of a
 * pipeline, and its volume. Stream designs from it the diagram spec for Canvas, the test requirements for
 * Radar and the infrastructure needs for Scaffold. The seed names only Stream's outputs; this input is ours.
 */
export const PipelineRequest = contract({
  pipeline: identifier,
  sources: z.array(SourceSpec).min(1, { message: 'expected at least one source' }),
  processing: z.array(ProcessingSpec),
  sinks: z.array(SinkSpec).min(1, { message: 'expected at least one sink' }),
  volume: Volume.optional(),
});
export type PipelineRequest = z.infer<typeof PipelineRequest>;
