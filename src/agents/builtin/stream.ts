import { PipelineRequest } from '../../contracts/pipeline-request.js';
import { PulseToStream, type Metric } from '../../contracts/pulse-to-stream.js';
import type { ConnectorRequirement, StreamToBuilder } from '../../contracts/stream-to-builder.js';
import type { Edge, StreamToCanvas } from '../../contracts/stream-to-canvas.js';
import type { StreamToRadar, TestRequirement } from '../../contracts/stream-to-radar.js';
import type { StreamToScaffold, WarehouseSize } from '../../contracts/stream-to-scaffold.js';
import type { MartRequirement, StreamToSchema } from '../../contracts/stream-to-schema.js';
import { SchemaToStream } from '../../contracts/schema-to-stream.js';
import { planStage } from '../../etl/stages.js';
import { reject, unsupported } from './reject.js';
import type { BuiltinAgent } from './types.js';

/**
 * The built-in Stream: a deterministic pipeline designer. Its rules are documented in docs/agents.md; each
 * seed input gives the seed's output block (tests hold it to that).
 */
export const stream: BuiltinAgent = async (envelope, ctx) => {
  const { input_contract: input, reply_contract: reply, payload } = envelope;
  if (input === 'schema-to-stream' && reply === 'stream-to-builder') {
    return connectorRequirements(SchemaToStream.parse(payload));
  }
  if (input === 'pulse-to-stream' && reply === 'stream-to-schema') {
    return martRequirements(PulseToStream.parse(payload));
  }
  if (input === 'etl-request' && reply === 'etl-plan') return planStage(envelope, ctx);
  if (input === 'pipeline-request') {
    const request = PipelineRequest.parse(payload);
    if (reply === 'stream-to-canvas') return diagramSpec(request);
    if (reply === 'stream-to-radar') return testRequirements(request);
    if (reply === 'stream-to-scaffold') return infrastructureNeeds(request);
  }
  throw unsupported('stream', input, reply);
};

/**
 * Pattern A: one connector per source table, extracted incrementally on `cursor_column` (default
 * `updated_at`); tables listed in `full_refresh` are reloaded in full, tables in `cdc` are captured.
 */
export function connectorRequirements(input: SchemaToStream): StreamToBuilder & Record<string, unknown> {
  const cursor = typeof input.cursor_column === 'string' ? input.cursor_column : 'updated_at';
  const full = stringList(input.full_refresh);
  const cdc = stringList(input.cdc);
  const connector_requirements = input.source_tables.map((table): ConnectorRequirement => {
    const key = input.primary_keys?.[table];
    const keyed = key !== undefined ? { primary_key: key } : {};
    if (cdc.includes(table)) return { api: `${table}_api`, method: 'cdc', table, ...keyed };
    if (full.includes(table)) return { api: `${table}_api`, method: 'full', table, ...keyed };
    return { api: `${table}_api`, method: 'incremental', key: cursor, table, ...keyed };
  });
  return { connector_requirements, target_model: input.target_model };
}

const TIME_GRAINS: Readonly<Record<string, { key: string; adjective: string }>> = {
  hour: { key: 'hour_key', adjective: 'hourly' },
  day: { key: 'date_key', adjective: 'daily' },
  week: { key: 'week_key', adjective: 'weekly' },
  month: { key: 'month_key', adjective: 'monthly' },
  quarter: { key: 'quarter_key', adjective: 'quarterly' },
  year: { key: 'year_key', adjective: 'yearly' },
};

/**
 * Pattern B: one mart per grain. A time grain gives a fact table `fct_<metric>` (or `fct_<adjective>_metrics`
 * for several metrics) keyed and partitioned by its date column, with a `record_count`; an entity grain gives
 * `mart_<metric>` keyed by `<entity>_key`. Measures are named from their aggregation: `sum(amount)` on
 * `daily_revenue` is `total_revenue`.
 */
export function martRequirements(input: PulseToStream): StreamToSchema {
  const byGrain = new Map<string, Metric[]>();
  for (const metric of input.metrics) byGrain.set(metric.grain, [...(byGrain.get(metric.grain) ?? []), metric]);
  const mart_requirements: MartRequirement[] = [];
  for (const [grain, metrics] of byGrain) {
    const time = TIME_GRAINS[grain];
    const key = time?.key ?? `${grain}_key`;
    const measures = metrics.map((m) => measureColumn(m));
    const [only] = metrics;
    if (time !== undefined) {
      const name = metrics.length === 1 && only !== undefined ? `fct_${only.name}` : `fct_${time.adjective}_metrics`;
      mart_requirements.push({ name, columns: [key, ...measures, 'record_count'], partitioning: key });
    } else {
      const name = metrics.length === 1 && only !== undefined ? `mart_${only.name}` : `mart_${grain}_metrics`;
      mart_requirements.push({ name, columns: [key, ...measures] });
    }
  }
  return { mart_requirements };
}

function measureColumn(metric: Metric): string {
  const base = metric.name.replace(/^(hourly|daily|weekly|monthly|quarterly|yearly)_/, '');
  const fn = /^\s*(sum|count|avg|min|max)\s*\(/i.exec(metric.aggregation ?? '')?.[1]?.toLowerCase();
  switch (fn) {
    case 'sum':
      return `total_${base}`;
    case 'count':
      return `${base}_count`;
    case 'avg':
    case 'min':
    case 'max':
      return `${fn}_${base}`;
    default:
      return metric.name;
  }
}

/**
 * Pattern C: the components as given; edges by ingest mode. CDC and stream sources feed the stream
 * processors, batch and incremental sources the batch processors (falling back to whichever exists); stream
 * processors feed batch processors; the last stage loads every sink.
 */
export function diagramSpec(request: PipelineRequest): StreamToCanvas {
  const streamProcs = request.processing.filter((p) => p.role === 'stream').map((p) => p.name);
  const batchProcs = request.processing.filter((p) => p.role === 'batch').map((p) => p.name);
  const edges: Edge[] = [];
  for (const source of request.sources) {
    const streaming = source.ingest === 'cdc' || source.ingest === 'stream';
    const targets = streaming
      ? streamProcs.length > 0
        ? streamProcs
        : batchProcs
      : batchProcs.length > 0
        ? batchProcs
        : streamProcs;
    const label = source.ingest === 'cdc' ? 'CDC' : source.ingest;
    for (const to of targets.length > 0 ? targets : request.sinks.map((s) => s.name))
      edges.push({ from: source.name, to, label });
  }
  if (batchProcs.length > 0)
    for (const from of streamProcs) for (const to of batchProcs) edges.push({ from, to, label: 'stream' });
  const last = batchProcs.length > 0 ? batchProcs : streamProcs;
  for (const from of last) {
    for (const sink of request.sinks)
      edges.push({ from, to: sink.name, label: sink.kind === 'cache' ? 'serve' : 'load' });
  }
  return {
    diagram_type: 'data_flow',
    components: {
      sources: request.sources.map((s) => s.name),
      processing: request.processing.map((p) => p.name),
      sinks: request.sinks.map((s) => s.name),
    },
    edges,
  };
}

/**
 * Pattern D: per sink table, a data-quality group checking it is not empty and, if it has a key, that the
 * key has no nulls; then one integration group: `end_to_end_flow`, plus `backfill_replay` when a source is
 * captured incrementally (CDC or cursor), since those are the pipelines a backfill must replay.
 */
export function testRequirements(request: PipelineRequest): StreamToRadar {
  const groups: TestRequirement[] = [];
  for (const sink of request.sinks) {
    for (const table of sink.tables ?? []) {
      const checks = ['row_count > 0', ...(table.key !== undefined ? [`no_nulls: ${table.key}`] : [])];
      groups.push({ type: 'data_quality', checks, table: table.name });
    }
  }
  const replayable = request.sources.some((s) => s.ingest === 'cdc' || s.ingest === 'incremental');
  groups.push({ type: 'integration', scenarios: ['end_to_end_flow', ...(replayable ? ['backfill_replay'] : [])] });
  return { test_requirements: groups };
}

const STORAGE_STEPS_GB = [100, 250, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000];
const REPLICATION = 3;

/**
 * Pattern E, from `volume`: Kafka (for stream processors) keeps `ingest × retention × 3 replicas`, rounded up
 * to a standard size, on at least 3 brokers of at most 2 TB each; Spark (for batch processors) gets one
 * worker per 100 GB of daily batch (2–100), 8/16/32 GB each by load; a warehouse sink is sized by daily batch
 * volume (<25 GB XSMALL, <100 SMALL, <1000 MEDIUM, <5000 LARGE, else XLARGE).
 */
export function infrastructureNeeds(request: PipelineRequest): StreamToScaffold {
  const volume = request.volume;
  if (volume === undefined)
    throw reject('stream', 'pipeline-request.volume is needed to size infrastructure, got nothing');
  const needs: StreamToScaffold['infrastructure_needs'] = {};
  if (request.processing.some((p) => p.role === 'stream')) {
    const raw = volume.ingest_gb_per_day * volume.retention_days * REPLICATION;
    const storageGb = STORAGE_STEPS_GB.find((step) => step >= raw) ?? Math.ceil(raw / 1000) * 1000;
    needs.kafka = { brokers: Math.max(3, Math.ceil(storageGb / 2000)), storage: formatSize(storageGb) };
  }
  if (request.processing.some((p) => p.role === 'batch')) {
    const workers = Math.min(100, Math.max(2, Math.ceil(volume.batch_gb_per_day / 100)));
    const perWorker = volume.batch_gb_per_day / workers;
    const memory = perWorker <= 25 ? 8 : perWorker <= 100 ? 16 : 32;
    needs.spark = { workers, memory: `${memory}GB per worker` };
  }
  const warehouse = request.sinks.find((s) => s.kind === 'warehouse');
  if (warehouse !== undefined)
    needs.warehouse = { type: warehouse.name, warehouse_size: warehouseSize(volume.batch_gb_per_day) };
  if (Object.keys(needs).length === 0) {
    throw reject('stream', 'nothing to provision: the request has no stream or batch processing and no warehouse sink');
  }
  return { infrastructure_needs: needs };
}

function warehouseSize(batchGbPerDay: number): WarehouseSize {
  if (batchGbPerDay < 25) return 'XSMALL';
  if (batchGbPerDay < 100) return 'SMALL';
  if (batchGbPerDay < 1000) return 'MEDIUM';
  if (batchGbPerDay < 5000) return 'LARGE';
  return 'XLARGE';
}

function formatSize(gb: number): string {
  return gb >= 1000 ? `${gb / 1000}TB` : `${gb}GB`;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
