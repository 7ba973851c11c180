import type { ContractName } from '../flows.js';

/**
 * One valid payload per contract, for `flows --contract` and the README: what an agent written in any language
 * receives or must answer. The flows' inputs are the files in `examples/`, Stream's outputs are the seed's
 * "Output to …" blocks verbatim, and the final replies are what the built-in agents answer to those (shortened).
 * A test holds every example to its contract, the seed and `examples/`.
 */
/** warehouse-etl's plan for one day, as the built-in Stream makes it from examples/warehouse-etl.yaml. */
const ETL_PLAN = {
  pipeline: 'jaffle_shop',
  partition: '2026-11-05',
  high_watermark: '2026-11-05 23:59:59.999999',
  connections: { shop: { kind: 'postgres', url_env: 'SOURCE_DATABASE_URL' } },
  connectors: [
    {
      name: 'orders_connector',
      api: 'orders_api',
      table: 'jaffle.orders',
      method: 'incremental',
      cursor: { field: 'updated_at', initial: '1970-01-01T00:00:00Z' },
      extraction_sql:
        'SELECT * FROM jaffle.orders WHERE updated_at > $cursor AND updated_at <= $high_watermark ORDER BY updated_at',
    },
    {
      name: 'items_connector',
      api: 'items_api',
      table: 'jaffle.items',
      method: 'incremental',
      cursor: { field: 'updated_at', initial: '1970-01-01T00:00:00Z' },
      extraction_sql:
        'SELECT * FROM jaffle.items WHERE updated_at > $cursor AND updated_at <= $high_watermark ORDER BY updated_at',
    },
    {
      name: 'customers_connector',
      api: 'customers_api',
      table: 'jaffle.customers',
      method: 'incremental',
      cursor: { field: 'updated_at', initial: '1970-01-01T00:00:00Z' },
      extraction_sql:
        'SELECT * FROM jaffle.customers WHERE updated_at > $cursor AND updated_at <= $high_watermark ORDER BY updated_at',
    },
    {
      name: 'products_connector',
      api: 'products_api',
      table: 'jaffle.products',
      method: 'full',
      extraction_sql: 'SELECT * FROM jaffle.products',
      primary_key: ['sku'],
    },
    {
      name: 'stores_connector',
      api: 'stores_api',
      table: 'jaffle.stores',
      method: 'full',
      extraction_sql: 'SELECT * FROM jaffle.stores',
    },
  ],
  metrics: [
    { name: 'daily_revenue', grain: 'day', aggregation: 'sum(amount)' },
    { name: 'revenue_7d', grain: 'day', aggregation: 'sum(amount)', window: '7d' },
    { name: 'store_revenue', grain: 'store', aggregation: 'sum(amount)' },
  ],
  marts: ['fct_sales', 'mart_daily_revenue', 'mart_revenue_7d', 'mart_store_revenue'],
  checks: [
    {
      type: 'data_quality',
      table: 'fct_sales',
      checks: [
        'row_count > 0',
        'unique: item_id',
        'no_nulls: order_id, amount',
        'accepted_values: status in (placed, completed, returned)',
      ],
    },
  ],
  dashboard_title: 'jaffle_shop · 2026-11-05',
  from: {},
};

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
      { name: 'Snowflake', kind: 'warehouse', tables: [{ name: 'fct_sales', key: 'order_id' }] },
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
        table: 'fct_sales',
        sql: 'SELECT count(*) AS actual, count(*) > 0 AS passed FROM fct_sales',
        status: 'pass',
        actual: 1200,
      },
      {
        check: 'no_nulls: order_id',
        table: 'fct_sales',
        sql: 'SELECT count(*) AS actual, count(*) = 0 AS passed FROM fct_sales WHERE order_id IS NULL',
        status: 'skipped',
        reason: 'table fct_sales is not in the warehouse',
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
  // The flow's input is examples/warehouse-etl.yaml; the plan made from it carries its lists unchanged.
  'etl-request': {
    pipeline: 'jaffle_shop',
    connections: ETL_PLAN.connections,
    connectors: ETL_PLAN.connectors,
    metrics: ETL_PLAN.metrics,
    checks: ETL_PLAN.checks,
  },
  'etl-plan': ETL_PLAN,
  'extract-output': {
    plan: ETL_PLAN,
    ...{
      high_watermark: '2026-11-05 23:59:59.999999',
      tables: [
        {
          connector: 'orders_connector',
          source_table: 'jaffle.orders',
          staging_table: 'staging.orders',
          method: 'incremental',
          rows: 247,
          staging_rows: 247,
          cursor_from: '1970-01-01T00:00:00Z',
          cursor_to: '2026-11-05 18:07:00',
        },
        {
          connector: 'items_connector',
          source_table: 'jaffle.items',
          staging_table: 'staging.items',
          method: 'incremental',
          rows: 425,
          staging_rows: 425,
          cursor_from: '1970-01-01T00:00:00Z',
          cursor_to: '2026-11-05 18:07:00',
        },
        {
          connector: 'customers_connector',
          source_table: 'jaffle.customers',
          staging_table: 'staging.customers',
          method: 'incremental',
          rows: 120,
          staging_rows: 120,
          cursor_from: '1970-01-01T00:00:00Z',
          cursor_to: '2026-11-05 17:48:00',
        },
        {
          connector: 'products_connector',
          source_table: 'jaffle.products',
          staging_table: 'staging.products',
          method: 'full',
          rows: 10,
          staging_rows: 10,
          cursor_from: null,
          cursor_to: null,
        },
        {
          connector: 'stores_connector',
          source_table: 'jaffle.stores',
          staging_table: 'staging.stores',
          method: 'full',
          rows: 6,
          staging_rows: 6,
          cursor_from: null,
          cursor_to: null,
        },
      ],
    },
  },
  'transform-output': {
    plan: ETL_PLAN,
    ...{
      partition: '2026-11-05',
      invocation_id: '6e05f0b3-3577-49e6-80a3-fc6bc170b58a',
      dbt_seconds: 0.42,
      wall_seconds: 3.069,
      lock_waits: 0,
      models: [
        {
          model: 'int_sales',
          relation: '"warehouse"."main"."int_sales"',
          status: 'success',
          rows: 83,
          seconds: 0.02,
          message: 'OK',
        },
        {
          model: 'fct_sales',
          relation: '"warehouse"."main"."fct_sales"',
          status: 'success',
          rows: 83,
          seconds: 0.064,
          message: 'OK',
        },
        {
          model: 'mart_daily_revenue',
          relation: '"warehouse"."main"."mart_daily_revenue"',
          status: 'success',
          rows: 1,
          seconds: 0.022,
          message: 'OK',
        },
      ],
    },
  },
  'check-output': {
    plan: ETL_PLAN,
    ...{
      checks: [
        {
          check: 'row_count > 0',
          table: 'fct_sales',
          sql: "SELECT count(*) AS actual, count(*) > 0 AS passed FROM (SELECT * FROM fct_sales WHERE date_key = DATE '2026-11-05') AS fct_sales",
          status: 'passed',
          actual: 83,
        },
        {
          check: 'unique: item_id',
          table: 'fct_sales',
          sql: "SELECT count(item_id) - count(DISTINCT item_id) AS actual, count(item_id) = count(DISTINCT item_id) AS passed FROM (SELECT * FROM fct_sales WHERE date_key = DATE '2026-11-05') AS fct_sales",
          status: 'passed',
          actual: 0,
        },
      ],
      summary: { passed: 2, failed: 0, skipped: 0 },
    },
  },
  'publish-output': {
    pipeline: 'jaffle_shop',
    partition: '2026-11-05',
    dashboard: 'out/dashboards/jaffle_shop-2026-11-05/index.html',
    charts: [
      { mart: 'main.fct_sales', kind: 'fact', file: 'fct_sales.svg', rows: 1, total: 1234.5 },
      { mart: 'main.mart_daily_revenue', kind: 'time', file: 'mart_daily_revenue.svg', rows: 1, total: 1234.5 },
    ],
  },
};
