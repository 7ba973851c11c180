import { z } from 'zod';
import { contract, identifier, nonEmpty } from '../contracts/contract.js';
import { ConnectorSpec } from '../contracts/builder-output.js';
import { Metric } from '../contracts/pulse-to-stream.js';
import { CheckResult, CheckSummary } from '../contracts/radar-output.js';
import { ExtractionMethod } from '../contracts/stream-to-builder.js';
import { TestRequirement } from '../contracts/stream-to-radar.js';
import { TRANSFORM_RESULT_SHAPE } from './transform.js';

/** A PostgreSQL source (a real server, or the embedded PGlite): its URL is read from the env var it names. */
export const PostgresConnection = contract({
  kind: z.literal('postgres'),
  url_env: identifier.default('SOURCE_DATABASE_URL'),
  /**
   * The server takes one client at a time (the embedded PGlite over pglite-socket drops a second connection):
   * extract runs in this process then take turns on it, each holding its turn from reading the cursor to COMMIT.
   */
  single_client: z.boolean().default(false),
});
export type PostgresConnection = z.infer<typeof PostgresConnection>;

/**
 * An HTTP JSON API source. A page is `GET {base_url}{path}?{cursor_param}=…&{until_param}=…&{limit_param}=…`
 * answering `{ <records_field>: [...], <next_field>: url | null }`; the next page is that URL (absolute, or
 * relative to base_url). A bearer token is read from `token_env`, never stored.
 */
export const HttpConnection = contract({
  kind: z.literal('http'),
  base_url: z.url({ message: 'expected an http(s) URL' }),
  token_env: identifier.optional(),
  cursor_param: nonEmpty.default('updated_after'),
  until_param: nonEmpty.default('updated_before'),
  limit_param: nonEmpty.default('limit'),
  page_size: z.number().int().positive().default(500),
  records_field: nonEmpty.default('data'),
  next_field: nonEmpty.default('next'),
  /** Tries per page when the API answers 408/429/5xx or the connection fails, honouring Retry-After. */
  max_attempts: z.number().int().positive().default(5),
});
export type HttpConnection = z.infer<typeof HttpConnection>;

export const SourceConnection = z.discriminatedUnion('kind', [PostgresConnection, HttpConnection]);
export type SourceConnection = z.infer<typeof SourceConnection>;

/** What one connector moved: a reference to the staging table and the cursor window, never the rows. */
export const ExtractedTable = contract({
  connector: nonEmpty,
  source_table: identifier,
  staging_table: identifier,
  method: ExtractionMethod,
  /** Rows read from the source in this run (after de-duplication by primary key). */
  rows: z.number().int().nonnegative(),
  /** Rows the staging table holds after the run. */
  staging_rows: z.number().int().nonnegative(),
  cursor_from: z.string().nullable(),
  cursor_to: z.string().nullable(),
});
export type ExtractedTable = z.infer<typeof ExtractedTable>;

/** The extract stage's reply: one entry per connector, in the order of the specs. */
export const ExtractResult = contract({
  high_watermark: z.string().nullable(),
  tables: z.array(ExtractedTable),
});
export type ExtractResult = z.infer<typeof ExtractResult>;

/** A completed chain an ETL request takes part of its plan from, by workflow id (its latest run is read). */
const ChainReference = nonEmpty;

/**
 * requester → Stream: what the warehouse-etl pipeline runs — the source connections, Builder's connector specs,
 * Pulse's metrics and the data-quality checks — each inline or taken from a completed chain of Pattern A, B or D
 * (`connectors_from`, `metrics_from`, `checks_from`), read when the run starts, so a new metric designed by an
 * `analytics-pipeline` run is built by the next ETL run.
 */
export const EtlRequest = contract({
  /** What the pipeline is about (the workflow id's subject). */
  pipeline: identifier.optional(),
  connections: z
    .record(identifier, SourceConnection)
    .refine((c) => Object.keys(c).length > 0, { message: 'expected at least one connection' }),
  connectors: z.array(ConnectorSpec).min(1, { message: 'expected at least one connector' }).optional(),
  connectors_from: ChainReference.optional(),
  metrics: z.array(Metric).optional(),
  metrics_from: ChainReference.optional(),
  checks: z.array(TestRequirement).optional(),
  checks_from: ChainReference.optional(),
  dashboard: contract({ title: nonEmpty.optional() }).optional(),
}).superRefine((value, ctx) => {
  const either = (inline: 'connectors' | 'metrics' | 'checks', required: boolean): void => {
    const from = `${inline}_from` as const;
    if (value[inline] !== undefined && value[from] !== undefined) {
      ctx.addIssue({ code: 'custom', path: [from], message: `expected ${inline} or ${from}, got both` });
    } else if (required && value[inline] === undefined && value[from] === undefined) {
      ctx.addIssue({ code: 'custom', path: [inline], message: `expected ${inline} or ${from}, got neither` });
    }
  };
  either('connectors', true);
  either('metrics', false);
  either('checks', false);
});
export type EtlRequest = z.infer<typeof EtlRequest>;

/** Where a part of the plan came from: a chain's workflow and run id, or the request itself. */
export const PlanSource = contract({ workflow_id: nonEmpty, run_id: nonEmpty });

/** Stream → the stages: the request resolved for one partition. Every stage's reply carries it on. */
export const EtlPlan = contract({
  pipeline: identifier,
  /** The day this run covers (YYYY-MM-DD), or null for a run over everything the source has. */
  partition: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'expected YYYY-MM-DD' })
    .nullable(),
  /** The upper bound of incremental windows: the partition's end, or null (no bound). */
  high_watermark: z.string().nullable(),
  connections: z.record(identifier, SourceConnection),
  connectors: z.array(ConnectorSpec).min(1, { message: 'expected at least one connector' }),
  metrics: z.array(Metric),
  /** The dbt models this run builds and publishes: the base fact, then one per metric. */
  marts: z.array(identifier).min(1),
  checks: z.array(TestRequirement),
  dashboard_title: nonEmpty,
  from: contract({
    connectors: PlanSource.optional(),
    metrics: PlanSource.optional(),
    checks: PlanSource.optional(),
  }),
});
export type EtlPlan = z.infer<typeof EtlPlan>;

/** The plan as each stage's reply carries it on (its fields are documented once, as `etl-plan`). */
const CarriedPlan = EtlPlan.meta({ id: 'etl-plan', description: 'the etl-plan, carried on to the next stage' });

/** extract → transform: the plan, and what the extract loaded into staging (references, never rows). */
export const ExtractOutput = contract({
  plan: CarriedPlan,
  high_watermark: z.string().nullable(),
  tables: z.array(ExtractedTable),
});
export type ExtractOutput = z.infer<typeof ExtractOutput>;

/** transform → Radar: the plan, and dbt's own results for the partition. */
export const TransformOutput = contract({ plan: CarriedPlan, ...TRANSFORM_RESULT_SHAPE });
export type TransformOutput = z.infer<typeof TransformOutput>;

/** Radar → publish: the plan, and each check run on the partition's marts. */
export const CheckOutput = contract({
  plan: CarriedPlan,
  checks: z.array(CheckResult),
  summary: CheckSummary,
});
export type CheckOutput = z.infer<typeof CheckOutput>;

/** One chart of the dashboard: the mart it shows and how much (rows plotted, sum of their values). */
export const PublishedChart = contract({
  mart: nonEmpty,
  kind: z.enum(['fact', 'time', 'entity']),
  file: nonEmpty,
  rows: z.number().int().nonnegative(),
  total: z.number(),
});

/** publish's reply, the pipeline's last: where the dashboard is. */
export const PublishOutput = contract({
  pipeline: identifier,
  partition: z.string().nullable(),
  dashboard: nonEmpty,
  charts: z.array(PublishedChart),
});
export type PublishOutput = z.infer<typeof PublishOutput>;
