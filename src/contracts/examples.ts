import type { ContractName } from '../flows.js';

/**
 * One valid payload per contract, for `flows --contract` and the README: what an agent written in any language
 * receives or must answer. The flows' inputs are the files in `examples/`, Stream's outputs are the seed's
 * "Output to …" blocks verbatim, and the final replies are what the built-in agents answer to those (shortened).
 * A test holds every example to its contract, the seed and `examples/`.
 */
export const CONTRACT_EXAMPLES: Readonly<Record<ContractName, Record<string, unknown>>> = {
  'schema-to-stream': { source_tables: ['orders', 'customers', 'products'], target_model: 'fct_sales' },
  'stream-to-builder': { connector_requirements: [{ api: 'orders_api', method: 'incremental', key: 'updated_at' }] },
  'builder-output': {
    connectors: [
      {
        name: 'orders_connector',
        api: 'orders_api',
        table: 'orders',
        method: 'incremental',
        cursor: { field: 'updated_at', initial: '1970-01-01T00:00:00Z' },
        extraction_sql:
          'SELECT * FROM orders WHERE updated_at > $cursor AND updated_at <= $high_watermark ORDER BY updated_at',
      },
    ],
  },
  'pulse-to-stream': {
    metrics: [
      { name: 'daily_revenue', grain: 'day', aggregation: 'sum(amount)' },
      { name: 'customer_ltv', grain: 'customer', window: 'lifetime' },
    ],
  },
  'stream-to-schema': {
    mart_requirements: [
      { name: 'fct_daily_revenue', columns: ['date_key', 'total_revenue', 'order_count'], partitioning: 'date_key' },
    ],
  },
  'schema-output': {
    tables: [
      {
        name: 'fct_daily_revenue',
        ddl: 'CREATE TABLE IF NOT EXISTS fct_daily_revenue (date_key DATE NOT NULL, total_revenue DECIMAL(18,2), order_count BIGINT);',
        columns: [
          { name: 'date_key', type: 'DATE' },
          { name: 'total_revenue', type: 'DECIMAL(18,2)' },
          { name: 'order_count', type: 'BIGINT' },
        ],
        partitioning: 'date_key',
        created: true,
      },
    ],
    warehouse: 'out/warehouse.duckdb',
  },
  'pipeline-request': {
    pipeline: 'orders_analytics',
    sources: [
      { name: 'PostgreSQL', ingest: 'cdc', tables: ['orders'] },
      { name: 'S3', ingest: 'batch' },
    ],
    processing: [
      { name: 'Kafka', role: 'stream' },
      { name: 'Spark', role: 'batch' },
    ],
    sinks: [
      { name: 'Snowflake', kind: 'warehouse', tables: [{ name: 'fct_orders', key: 'order_id' }] },
      { name: 'Redis', kind: 'cache' },
    ],
    volume: { ingest_gb_per_day: 40, retention_days: 7, batch_gb_per_day: 500 },
  },
  'stream-to-canvas': {
    diagram_type: 'data_flow',
    components: { sources: ['PostgreSQL', 'S3'], processing: ['Kafka', 'Spark'], sinks: ['Snowflake', 'Redis'] },
    edges: [{ from: 'PostgreSQL', to: 'Kafka', label: 'CDC' }],
  },
  'canvas-output': {
    format: 'mermaid',
    diagram: 'flowchart LR\n  PostgreSQL -->|CDC| Kafka\n',
    nodes: 6,
    edges: 1,
    svg_artifact: 'pipeline.svg',
  },
  'stream-to-radar': {
    test_requirements: [
      { type: 'data_quality', checks: ['row_count > 0', 'no_nulls: order_id'] },
      { type: 'integration', scenarios: ['end_to_end_flow', 'backfill_replay'] },
    ],
  },
  'radar-output': {
    checks: [
      {
        check: 'row_count > 0',
        table: 'fct_orders',
        sql: 'SELECT count(*) AS actual, count(*) > 0 AS passed FROM fct_orders',
        status: 'pass',
        actual: 1200,
      },
      {
        check: 'no_nulls: order_id',
        table: 'fct_orders',
        sql: 'SELECT count(*) AS actual, count(*) = 0 AS passed FROM fct_orders WHERE order_id IS NULL',
        status: 'skipped',
        reason: 'table fct_orders is not in the warehouse',
      },
    ],
    scenarios: [{ name: 'end_to_end_flow', steps: ['load one fixture partition', 'run the pipeline for it'] }],
    summary: { passed: 1, failed: 0, skipped: 1 },
  },
  'stream-to-scaffold': {
    infrastructure_needs: {
      kafka: { brokers: 3, storage: '1TB' },
      spark: { workers: 5, memory: '16GB per worker' },
      warehouse: { type: 'Snowflake', warehouse_size: 'MEDIUM' },
    },
  },
  'scaffold-output': {
    plan: [
      {
        resource: 'kafka.broker',
        spec: '3 brokers',
        quantity: 2190,
        unit: 'broker-hour',
        unit_price_usd: 0.21,
        monthly_cost_usd: 459.9,
      },
    ],
    monthly_cost_usd: 459.9,
    price_table: 'stream-collab list prices 2026-11 (USD, illustrative)',
  },
};
