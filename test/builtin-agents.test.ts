import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { builder, INITIAL_CURSOR } from '../src/agents/builtin/builder.js';
import { radar } from '../src/agents/builtin/radar.js';
import { PRICE_TABLE, scaffold } from '../src/agents/builtin/scaffold.js';
import { schema } from '../src/agents/builtin/schema.js';
import {
  connectorRequirements,
  diagramSpec,
  infrastructureNeeds,
  martRequirements,
  testRequirements,
} from '../src/agents/builtin/stream.js';
import type { Envelope } from '../src/agents/transport.js';
import { HandoffError } from '../src/agents/transport.js';
import { PipelineRequest } from '../src/contracts/pipeline-request.js';
import { PulseToStream } from '../src/contracts/pulse-to-stream.js';
import { SchemaToStream } from '../src/contracts/schema-to-stream.js';
import { StreamToBuilder } from '../src/contracts/stream-to-builder.js';
import { StreamToCanvas } from '../src/contracts/stream-to-canvas.js';
import { StreamToRadar } from '../src/contracts/stream-to-radar.js';
import { StreamToScaffold } from '../src/contracts/stream-to-scaffold.js';
import { StreamToSchema } from '../src/contracts/stream-to-schema.js';
import type { ContractName } from '../src/flows.js';
import { seedValue } from './seed.js';
import { readFileSync } from 'node:fs';

/** The rest of a built-in agent's context, for agents that neither write files nor read other chains. */
const NO_CHAINS = {
  outDir: '',
  env: process.env,
  readChain: () => Promise.reject(new Error('no chains in this test')),
};

const example = (name: string): unknown =>
  parse(readFileSync(new URL(`../examples/${name}.yaml`, import.meta.url), 'utf8'));
const request = PipelineRequest.parse(example('pipeline-testing'));

function envelope(input: ContractName, reply: ContractName, payload: Record<string, unknown>): Envelope {
  return {
    chain_id: 'test',
    flow: 'schema-to-pipeline',
    step: 2,
    from: 'stream',
    to: 'builder',
    input_contract: input,
    reply_contract: reply,
    payload,
  };
}

async function tempWarehouse(): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), 'wh-')), 'warehouse.duckdb');
}

describe('the built-in Stream derives the seed outputs from the seed inputs', () => {
  it("Pattern A: connector requirements, the first being the seed's", () => {
    const out = connectorRequirements(SchemaToStream.parse(seedValue('Input from Schema')));
    expect(out.connector_requirements).toHaveLength(3);
    const seed = StreamToBuilder.parse(seedValue('Output to Builder'));
    expect(seed.connector_requirements).toHaveLength(1);
    expect(out.connector_requirements[0]).toMatchObject(seed.connector_requirements[0] ?? {});
    expect(out.connector_requirements.map((c) => c.api)).toEqual(['orders_api', 'customers_api', 'products_api']);
  });

  it('Pattern A: full_refresh and cdc hints change the method', () => {
    const out = connectorRequirements(
      SchemaToStream.parse({ source_tables: ['a', 'b', 'c'], target_model: 'm', full_refresh: ['b'], cdc: ['c'] }),
    );
    expect(out.connector_requirements.map((c) => c.method)).toEqual(['incremental', 'full', 'cdc']);
  });

  it("Pattern B: the seed's mart, keyed and partitioned by date", () => {
    const out = martRequirements(PulseToStream.parse(seedValue('Input from Pulse')));
    const seedMart = StreamToSchema.parse(seedValue('Output to Schema')).mart_requirements[0];
    expect(out.mart_requirements[0]).toMatchObject({ name: seedMart?.name, partitioning: seedMart?.partitioning });
    expect(out.mart_requirements[0]?.columns).toEqual(['date_key', 'total_revenue', 'record_count']);
    expect(out.mart_requirements[1]).toEqual({ name: 'mart_customer_ltv', columns: ['customer_key', 'customer_ltv'] });
  });

  it("Pattern C: exactly the seed's components, and the seed's CDC edge among the edges", () => {
    const out = diagramSpec(request);
    const seed = StreamToCanvas.parse(seedValue('Output to Canvas'));
    expect(out.diagram_type).toBe(seed.diagram_type);
    expect(out.components).toEqual(seed.components);
    expect(out.edges).toContainEqual(seed.edges[0]);
    expect(out.edges).toEqual([
      { from: 'PostgreSQL', to: 'Kafka', label: 'CDC' },
      { from: 'S3', to: 'Spark', label: 'batch' },
      { from: 'Kafka', to: 'Spark', label: 'stream' },
      { from: 'Spark', to: 'Snowflake', label: 'load' },
      { from: 'Spark', to: 'Redis', label: 'serve' },
    ]);
  });

  it("Pattern D: the seed's test requirements, plus the table the checks run on", () => {
    const out = testRequirements(request);
    expect(out).toMatchObject(StreamToRadar.parse(seedValue('Output to Radar')));
    expect(out.test_requirements[0]?.table).toBe('fct_sales');
  });

  it("Pattern E: exactly the seed's infrastructure needs", () => {
    expect(infrastructureNeeds(request)).toEqual(seedValue('Output to Scaffold'));
  });

  it('Pattern E without a volume is a rejection, not a guess', () => {
    const withoutVolume = { ...request, volume: undefined };
    expect(() => infrastructureNeeds(PipelineRequest.parse(withoutVolume))).toThrow(HandoffError);
  });
});

describe('the built-in Builder', () => {
  it('writes incremental extraction SQL that runs and reads exactly the cursor window', async () => {
    const reply = await builder(
      envelope('stream-to-builder', 'builder-output', {
        connector_requirements: [{ api: 'orders_api', method: 'incremental', key: 'updated_at' }],
      }),
      {
        signal: AbortSignal.timeout(10_000),
        warehouse: '',
        ...NO_CHAINS,
      },
    );
    const [spec] = reply.connectors as { extraction_sql: string; cursor: { field: string; initial: string } }[];
    expect(spec?.cursor).toEqual({ field: 'updated_at', initial: INITIAL_CURSOR });
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    await conn.run(`CREATE TABLE orders (order_id INT, updated_at TIMESTAMP)`);
    await conn.run(
      `INSERT INTO orders VALUES (1, '2026-11-01 10:00'), (2, '2026-11-02 10:00'), (3, '2026-11-03 10:00')`,
    );
    const rows = (
      await conn.runAndReadAll(spec?.extraction_sql ?? '', {
        cursor: '2026-11-01 10:00',
        high_watermark: '2026-11-02 23:59',
      })
    ).getRowObjectsJS();
    expect(rows.map((r) => r.order_id)).toEqual([2]);
    conn.closeSync();
  });
});

describe('the built-in Schema', () => {
  it('creates the marts in the warehouse and refuses a drifted table', async () => {
    const warehouse = await tempWarehouse();
    const marts = martRequirements(PulseToStream.parse(seedValue('Input from Pulse')));
    const reply = await schema(envelope('stream-to-schema', 'schema-output', marts), {
      signal: AbortSignal.timeout(10_000),
      warehouse,
      ...NO_CHAINS,
    });
    expect((reply.tables as { name: string }[]).map((t) => t.name)).toEqual(['fct_daily_revenue', 'mart_customer_ltv']);
    const db = await DuckDBInstance.create(warehouse);
    const conn = await db.connect();
    const cols = (
      await conn.runAndReadAll(
        `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'fct_daily_revenue' ORDER BY ordinal_position`,
      )
    ).getRowObjectsJS();
    expect(cols).toEqual([
      { column_name: 'date_key', data_type: 'DATE' },
      { column_name: 'total_revenue', data_type: 'DECIMAL(18,2)' },
      { column_name: 'record_count', data_type: 'BIGINT' },
    ]);
    conn.closeSync();
    db.closeSync();
    const drifted = { mart_requirements: [{ name: 'fct_daily_revenue', columns: ['date_key', 'revenue'] }] };
    await expect(
      schema(envelope('stream-to-schema', 'schema-output', drifted), {
        signal: AbortSignal.timeout(10_000),
        warehouse,
        ...NO_CHAINS,
      }),
    ).rejects.toMatchObject({
      type: 'AgentRejected',
      message: expect.stringContaining('already exists with columns (date_key, total_revenue, record_count)'),
    });
  });
});

describe('the built-in Radar', () => {
  it('runs each check as SQL where the table exists and reports pass, fail and skipped honestly', async () => {
    const warehouse = await tempWarehouse();
    const db = await DuckDBInstance.create(warehouse);
    const conn = await db.connect();
    await conn.run(`CREATE TABLE fct_orders (order_id INT, status VARCHAR)`);
    await conn.run(`INSERT INTO fct_orders VALUES (1, 'paid'), (NULL, 'paid'), (3, 'lost'), (3, 'paid')`);
    conn.closeSync();
    const payload = {
      test_requirements: [
        {
          type: 'data_quality',
          table: 'fct_orders',
          checks: [
            'row_count > 0',
            'no_nulls: order_id',
            'unique: order_id',
            "accepted_values: status in ('paid', 'refunded')",
            'row_count >= 4',
          ],
        },
        { type: 'data_quality', table: 'fct_missing', checks: ['row_count > 0'] },
        { type: 'integration', scenarios: ['end_to_end_flow', 'backfill_replay'] },
      ],
    };
    const reply = await radar(envelope('stream-to-radar', 'radar-output', payload), {
      signal: AbortSignal.timeout(10_000),
      warehouse,
      ...NO_CHAINS,
    });
    const checks = reply.checks as { check: string; status: string; actual?: number }[];
    expect(checks.map((c) => [c.check, c.status, c.actual])).toEqual([
      ['row_count > 0', 'passed', 4],
      ['no_nulls: order_id', 'failed', 1],
      ['unique: order_id', 'failed', 1],
      ["accepted_values: status in ('paid', 'refunded')", 'failed', 1],
      ['row_count >= 4', 'passed', 4],
      ['row_count > 0', 'skipped', undefined],
    ]);
    expect(reply.summary).toEqual({ passed: 2, failed: 3, skipped: 1 });
    expect((reply.scenarios as { name: string }[]).map((s) => s.name)).toEqual(['end_to_end_flow', 'backfill_replay']);
  });

  it('rejects a check it does not understand, naming where it is', async () => {
    const payload = {
      test_requirements: [{ type: 'data_quality', table: 't', checks: ['row_count > 0', 'looks fine'] }],
    };
    await expect(
      radar(envelope('stream-to-radar', 'radar-output', payload), {
        signal: AbortSignal.timeout(10_000),
        warehouse: await tempWarehouse(),
        ...NO_CHAINS,
      }),
    ).rejects.toMatchObject({
      type: 'AgentRejected',
      message: expect.stringContaining('test_requirements[0].checks[1]: unknown check "looks fine"'),
    });
  });
});

describe('the built-in Scaffold', () => {
  it("prices the seed's needs from the price table", async () => {
    const reply = await scaffold(
      envelope('stream-to-scaffold', 'scaffold-output', StreamToScaffold.parse(seedValue('Output to Scaffold'))),
      {
        signal: AbortSignal.timeout(10_000),
        warehouse: '',
        ...NO_CHAINS,
      },
    );
    const p = PRICE_TABLE;
    const expected =
      3 * 730 * p.kafkaBrokerHour +
      1000 * p.kafkaStorageGbMonth +
      5 * 16 * 730 * p.sparkGbMemoryHour +
      4 * 8 * 30 * p.snowflakeCredit;
    expect(reply.monthly_cost_usd).toBeCloseTo(expected, 2);
    expect((reply.plan as { resource: string }[]).map((i) => i.resource)).toEqual([
      'kafka.broker',
      'kafka.storage',
      'spark.workers',
      'warehouse.snowflake',
    ]);
  });
});
