import { z } from 'zod';
import { contract, identifier, nonEmpty } from './contract.js';

/** A table Schema designed: its DDL and whether it now exists in the warehouse. */
export const TableSpec = contract({
  name: identifier,
  ddl: nonEmpty,
  columns: z.array(contract({ name: identifier, type: nonEmpty })).min(1),
  partitioning: identifier.optional(),
  created: z.boolean(),
});
export type TableSpec = z.infer<typeof TableSpec>;

/** Schema's reply at the end of Pattern B. */
export const SchemaOutput = contract({
  tables: z.array(TableSpec).min(1, { message: 'expected at least one table' }),
  warehouse: nonEmpty.optional(),
});
export type SchemaOutput = z.infer<typeof SchemaOutput>;
