import { BuilderOutput, type ConnectorSpec } from '../contracts/builder-output.js';
import { check, formatIssues } from '../contracts/index.js';
import { PulseToStream, type Metric } from '../contracts/pulse-to-stream.js';
import { StreamToRadar, type TestRequirement } from '../contracts/stream-to-radar.js';
import type { FlowName } from '../flows.js';
import type { ChainState } from '../workflows/chain.js';
import type { EtlPlan, EtlRequest } from './contracts.js';
import { metricMartSql } from './metric-marts.js';

/** The base fact every warehouse-etl run builds (Pattern A's target model). */
export const BASE_FACT = 'fct_sales';

/** A chain read back by workflow id: its latest run and what it recorded. */
export interface ReadChain {
  readonly workflowId: string;
  readonly runId: string;
  readonly status: string;
  readonly state?: ChainState;
}

/** Why a plan cannot be made: the field at fault and what was wrong with it. Never worth retrying. */
export class PlanError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`${path}: ${reason}`);
    this.name = 'PlanError';
  }
}

/** `date_key=2026-11-01` → `2026-11-01`; the pipeline runs by day. */
export function partitionDay(partition: string | undefined): string | null {
  if (partition === undefined) return null;
  const match = /^date_key=(\d{4}-\d{2}-\d{2})$/.exec(partition);
  if (match?.[1] === undefined || Number.isNaN(Date.parse(`${match[1]}T00:00:00Z`))) {
    throw new PlanError('(partition)', `expected a day, date_key=YYYY-MM-DD, got "${partition}"`);
  }
  return match[1];
}

/**
 * The upper bound of a day's incremental windows: its last microsecond, so a row changed at midnight belongs to
 * the day it starts (as `partition_days` in the dbt project counts it).
 */
export function dayHighWatermark(day: string): string {
  return `${day} 23:59:59.999999`;
}

/**
 * Stream's plan for one run of warehouse-etl: the request with every `*_from` replaced by what that chain
 * recorded (read now, so a schedule's next run picks up a chain re-run since), the partition's window, and the
 * marts to build. Each metric's mart SQL is generated here once, so a metric dbt could not build is refused before
 * anything is extracted.
 */
export async function planEtl(
  request: EtlRequest,
  partition: string | undefined,
  readChain: (workflowId: string) => Promise<ReadChain>,
): Promise<EtlPlan> {
  const day = partitionDay(partition);
  const from: { -readonly [K in keyof EtlPlan['from']]: EtlPlan['from'][K] } = {};

  const completed = async (
    path: string,
    workflowId: string,
    flow: FlowName,
  ): Promise<ReadChain & { state: ChainState }> => {
    let chain: ReadChain;
    try {
      chain = await readChain(workflowId);
    } catch (err) {
      // An unknown id (the CLI's UsageError) is the request's fault; anything else (the server) may pass later.
      if (err instanceof Error && err.name === 'UsageError') throw new PlanError(path, err.message);
      throw err;
    }
    if (chain.status !== 'COMPLETED' || chain.state === undefined) {
      throw new PlanError(path, `expected a completed chain of ${flow}, got ${workflowId} ${chain.status}`);
    }
    if (chain.state.flow !== flow) {
      throw new PlanError(path, `expected a chain of ${flow}, got one of ${chain.state.flow} (${workflowId})`);
    }
    return { ...chain, state: chain.state };
  };
  const checked = <T>(path: string, schema: Parameters<typeof check<T>>[0], value: unknown): T => {
    const result = check(schema, value);
    if (!result.ok) throw new PlanError(path, `what it recorded breaks its contract: ${formatIssues(result.issues)}`);
    return result.value;
  };

  let connectors: ConnectorSpec[];
  if (request.connectors !== undefined) connectors = request.connectors;
  else {
    const id = request.connectors_from ?? '';
    const chain = await completed('connectors_from', id, 'schema-to-pipeline');
    connectors = checked('connectors_from', BuilderOutput, chain.state.output).connectors;
    from.connectors = { workflow_id: chain.workflowId, run_id: chain.runId };
  }

  const names = Object.keys(request.connections);
  connectors.forEach((spec, i) => {
    const path = request.connectors !== undefined ? `connectors[${i}]` : `connectors_from (connectors[${i}])`;
    if (spec.source !== undefined && !names.includes(spec.source)) {
      throw new PlanError(
        `${path}.source`,
        `expected one of the connections (${names.join(', ')}), got "${spec.source}"`,
      );
    }
    if (spec.source === undefined && names.length > 1) {
      throw new PlanError(`${path}.source`, `expected the connection to read (${names.join(', ')}), got none`);
    }
    if (spec.method === 'incremental' && spec.cursor === undefined) {
      throw new PlanError(`${path}.cursor`, 'expected the cursor column of an incremental connector, got none');
    }
  });

  let metrics: Metric[] = request.metrics ?? [];
  if (request.metrics_from !== undefined) {
    const chain = await completed('metrics_from', request.metrics_from, 'analytics-pipeline');
    metrics = checked('metrics_from', PulseToStream, chain.state.handoffs[0]?.input).metrics;
    from.metrics = { workflow_id: chain.workflowId, run_id: chain.runId };
  }
  metrics.forEach((metric, i) => {
    try {
      metricMartSql(metric);
    } catch (err) {
      const path = request.metrics_from !== undefined ? `metrics_from (metrics[${i}])` : `metrics[${i}]`;
      throw new PlanError(path, err instanceof Error ? err.message : String(err));
    }
  });

  let checks: TestRequirement[] = request.checks ?? [];
  if (request.checks_from !== undefined) {
    const chain = await completed('checks_from', request.checks_from, 'pipeline-testing');
    checks = checked('checks_from', StreamToRadar, chain.state.handoffs[1]?.input).test_requirements;
    from.checks = { workflow_id: chain.workflowId, run_id: chain.runId };
  }
  checks = checks.filter((group) => group.type === 'data_quality');

  const pipeline = request.pipeline ?? 'warehouse';
  return {
    pipeline,
    partition: day,
    high_watermark: day !== null ? dayHighWatermark(day) : null,
    connections: request.connections,
    connectors,
    metrics,
    marts: [BASE_FACT, ...metrics.map((m) => martName(m))],
    checks,
    dashboard_title: `${request.dashboard?.title ?? pipeline} · ${day ?? 'all days'}`,
    from,
  };
}

/** The dbt model a metric is built in. */
export function martName(metric: Metric): string {
  return `mart_${metric.name.toLowerCase()}`;
}
