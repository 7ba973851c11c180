import { z } from 'zod';
import { contract, nonEmpty } from './contract.js';

/** A storage size such as `1TB` or `500 GB`. */
export const StorageSize = z
  .string()
  .regex(/^\d+(\.\d+)?\s*(GB|TB|PB)$/i, { message: 'expected a size such as "1TB" or "500GB"' });

export const WarehouseSize = z.enum(['XSMALL', 'SMALL', 'MEDIUM', 'LARGE', 'XLARGE', '2XLARGE', '3XLARGE', '4XLARGE']);
export type WarehouseSize = z.infer<typeof WarehouseSize>;

/** Stream → Scaffold (Pattern E, "Output to Scaffold"): what to provision. At least one of the three. */
export const StreamToScaffold = contract({
  infrastructure_needs: contract({
    kafka: contract({ brokers: z.number().int().positive(), storage: StorageSize }).optional(),
    spark: contract({
      workers: z.number().int().positive(),
      memory: z.string().regex(/^\d+\s*GB( per worker)?$/i, { message: 'expected memory such as "16GB per worker"' }),
    }).optional(),
    warehouse: contract({ type: nonEmpty, warehouse_size: WarehouseSize }).optional(),
  }).superRefine((value, ctx) => {
    if (value.kafka === undefined && value.spark === undefined && value.warehouse === undefined) {
      ctx.addIssue({ code: 'custom', path: [], message: 'expected at least one of kafka, spark, warehouse, got none' });
    }
  }),
});
export type StreamToScaffold = z.infer<typeof StreamToScaffold>;
