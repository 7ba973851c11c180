import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { reject, unsupported } from '../agents/builtin/reject.js';
import type { BuiltinAgent } from '../agents/builtin/types.js';
import { HandoffError } from '../agents/transport.js';
import { FailureType } from '../identity/failures.js';
import { runPartitionChecks } from './check.js';
import { CheckOutput, EtlPlan, EtlRequest, ExtractOutput, TransformOutput } from './contracts.js';
import { writeDashboard } from './dashboard.js';
import { runExtract } from './extract.js';
import { PlanError, planEtl } from './plan.js';
import { DBT_PROJECT, runDbt } from './transform.js';

/**
 * The warehouse-etl stages as built-in agents: Stream plans, extract (Airbyte's role) loads staging, transform
 * (dbt's role) builds the marts, Radar checks them, publish (BI's role) writes the dashboard. Each is one handoff,
 * so each is retried, recorded and replayable on its own; every reply carries references, never rows.
 */

/** An engine's typed failure (ApplicationFailure from the extract or dbt) or a bad plan, as the handoff's failure. */
async function asHandoff<T>(agent: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof PlanError) throw reject(agent, err.message);
    if (err instanceof ApplicationFailure) {
      if (isFailureType(err.type)) throw new HandoffError(err.type, err.message, !err.nonRetryable);
      // A stage's own type (the dashboard's MartMissing, say): a refusal if it says retrying cannot help.
      const type = err.nonRetryable ? FailureType.AgentRejected : FailureType.HandoffFailed;
      throw new HandoffError(type, `${err.type ?? 'Error'}: ${err.message}`, !err.nonRetryable);
    }
    throw err;
  }
}

function isFailureType(type: string | null | undefined): type is FailureType {
  return typeof type === 'string' && (Object.values(FailureType) as string[]).includes(type);
}

/** Stream, for warehouse-etl: the request resolved into the partition's plan. */
export const planStage: BuiltinAgent = (envelope, ctx) =>
  asHandoff('stream', () => planEtl(EtlRequest.parse(envelope.payload), envelope.partition, ctx.readChain));

/** The extract stage: Builder's connector specs run against their sources, merged into staging. */
export const extract: BuiltinAgent = async (envelope, ctx) => {
  if (envelope.input_contract !== 'etl-plan' || envelope.reply_contract !== 'extract-output') {
    throw unsupported('extract', envelope.input_contract, envelope.reply_contract);
  }
  const plan = EtlPlan.parse(envelope.payload);
  const result = await asHandoff('extract', () =>
    runExtract(plan.connectors, {
      warehouse: ctx.warehouse,
      signal: ctx.signal,
      connections: plan.connections,
      env: ctx.env,
      ...(plan.high_watermark !== null ? { highWatermark: plan.high_watermark } : {}),
    }),
  );
  return { plan, ...result } satisfies ExtractOutput;
};

/** The transform stage: the plan's metric marts generated, then dbt run for the partition. */
export const transform: BuiltinAgent = async (envelope, ctx) => {
  if (envelope.input_contract !== 'extract-output' || envelope.reply_contract !== 'transform-output') {
    throw unsupported('transform', envelope.input_contract, envelope.reply_contract);
  }
  const { plan } = ExtractOutput.parse(envelope.payload);
  const result = await asHandoff('transform', async () =>
    runDbt({
      warehouse: ctx.warehouse,
      signal: ctx.signal,
      metrics: plan.metrics,
      // Your own dbt project (with the models this one has: staging, int_sales, fct_sales) by configuration.
      projectDir: ctx.env.STREAM_COLLAB_DBT_PROJECT ?? DBT_PROJECT,
      ...(plan.partition !== null ? { partition: plan.partition } : {}),
      // The plan's marts and what they are built from (staging views, int_sales), nothing else in the project.
      select: plan.marts.map((m) => `+${m}`),
    }),
  );
  return { plan, ...result } satisfies TransformOutput;
};

/** Radar, for warehouse-etl: the plan's checks on the partition's marts. */
export const checkStage: BuiltinAgent = async (envelope, ctx) => {
  const { plan } = TransformOutput.parse(envelope.payload);
  return asHandoff('radar', () => runPartitionChecks(plan, ctx));
};

/** The publish stage: the dashboard of the plan's marts, one folder per run. */
export const publish: BuiltinAgent = async (envelope, ctx) => {
  if (envelope.input_contract !== 'check-output' || envelope.reply_contract !== 'publish-output') {
    throw unsupported('publish', envelope.input_contract, envelope.reply_contract);
  }
  const { plan } = CheckOutput.parse(envelope.payload);
  const run = `${plan.pipeline}-${plan.partition ?? 'all'}`;
  const dashboard = await asHandoff('publish', () =>
    writeDashboard({
      warehouse: ctx.warehouse,
      dir: join(ctx.outDir, 'dashboards', run),
      title: plan.dashboard_title,
      partition: plan.partition,
      marts: plan.marts.map((m) => `main.${m}`),
      signal: ctx.signal,
    }),
  );
  return {
    pipeline: plan.pipeline,
    partition: plan.partition,
    dashboard: dashboard.index,
    charts: dashboard.charts.map((c) => ({ ...c })),
  };
};
