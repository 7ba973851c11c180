import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { EtlRequest } from '../../src/etl/contracts.js';
import { runExtract } from '../../src/etl/extract.js';
import { dayHighWatermark, partitionDay, planEtl, type ReadChain } from '../../src/etl/plan.js';
import type { ChainState } from '../../src/workflows/chain.js';

const connector = {
  name: 'orders_connector',
  api: 'orders_api',
  table: 'jaffle.orders',
  method: 'incremental',
  cursor: { field: 'updated_at', initial: '1970-01-01T00:00:00Z' },
  extraction_sql: 'SELECT * FROM jaffle.orders WHERE updated_at > $cursor AND updated_at <= $high_watermark',
} as const;

const request = (extra: Record<string, unknown> = {}): EtlRequest =>
  EtlRequest.parse({ connections: { shop: { kind: 'postgres' } }, connectors: [connector], ...extra });

/** A chain as the CLI reads it back: only the parts a plan looks at. */
function chain(flow: string, status: string, state: Partial<ChainState>): ReadChain {
  return {
    workflowId: `${flow}/x/1`,
    runId: 'run-1',
    status,
    state: { flow, handoffs: [], artifacts: [], status: 'completed', ...state } as unknown as ChainState,
  };
}

const noChains = (id: string): Promise<ReadChain> => {
  const err = new Error(`no workflow with id ${id}`);
  err.name = 'UsageError';
  return Promise.reject(err);
};

describe('planEtl', () => {
  it("bounds a day's window by its last microsecond, and a run without a partition by nothing", async () => {
    const plan = await planEtl(request(), 'date_key=2026-11-01', noChains);
    expect(plan).toMatchObject({ partition: '2026-11-01', high_watermark: '2026-11-01 23:59:59.999999' });
    expect(await planEtl(request(), undefined, noChains)).toMatchObject({ partition: null, high_watermark: null });
    expect(dayHighWatermark('2026-02-28')).toBe('2026-02-28 23:59:59.999999');
  });

  it('refuses a partition that is not a real day', () => {
    expect(() => partitionDay('week_key=2026-11-02')).toThrow('(partition): expected a day, date_key=YYYY-MM-DD');
    expect(() => partitionDay('date_key=2026-13-01')).toThrow('got "date_key=2026-13-01"');
  });

  it('builds fct_sales and one mart per metric, and refuses a metric dbt could not build, naming it', async () => {
    const plan = await planEtl(
      request({
        metrics: [
          { name: 'Daily_Revenue', grain: 'day' },
          { name: 'ltv', grain: 'customer' },
        ],
      }),
      undefined,
      noChains,
    );
    expect(plan.marts).toEqual(['fct_sales', 'mart_daily_revenue', 'mart_ltv']);
    await expect(
      planEtl(
        request({
          metrics: [
            { name: 'ok', grain: 'day' },
            { name: 'bad', grain: 'fortnight' },
          ],
        }),
        undefined,
        noChains,
      ),
    ).rejects.toThrow('metrics[1]: metric bad: grain "fortnight" is neither a time grain');
  });

  it('names the connector whose connection is unknown, missing, or whose cursor is missing', async () => {
    await expect(
      planEtl(request({ connectors: [{ ...connector, source: 'nope' }] }), undefined, noChains),
    ).rejects.toThrow('connectors[0].source: expected one of the connections (shop), got "nope"');
    await expect(
      planEtl(
        request({ connections: { a: { kind: 'postgres' }, b: { kind: 'postgres', url_env: 'B_URL' } } }),
        undefined,
        noChains,
      ),
    ).rejects.toThrow('connectors[0].source: expected the connection to read (a, b), got none');
    const { cursor: _none, ...uncursored } = connector;
    await expect(planEtl(request({ connectors: [uncursored] }), undefined, noChains)).rejects.toThrow(
      'connectors[0].cursor: expected the cursor column of an incremental connector',
    );
  });

  it('reads each *_from from its chain, and refuses an unknown, unfinished or wrong-flow chain', async () => {
    const chains: Record<string, ReadChain> = {
      a: chain('schema-to-pipeline', 'COMPLETED', { output: { connectors: [connector] } }),
      b: chain('analytics-pipeline', 'COMPLETED', {
        handoffs: [{ input: { metrics: [{ name: 'm', grain: 'week' }] } }] as unknown as ChainState['handoffs'],
      }),
      d: chain('pipeline-testing', 'COMPLETED', {
        handoffs: [
          {},
          {
            input: {
              test_requirements: [
                { type: 'data_quality', table: 'fct_sales', checks: ['row_count > 0'] },
                { type: 'integration', scenarios: ['end_to_end_flow'] },
              ],
            },
          },
        ] as unknown as ChainState['handoffs'],
      }),
      running: chain('schema-to-pipeline', 'RUNNING', {}),
    };
    const read = (id: string): Promise<ReadChain> =>
      chains[id] !== undefined ? Promise.resolve(chains[id]) : noChains(id);
    const { connectors: _inline, ...base } = request();
    const plan = await planEtl(
      EtlRequest.parse({ ...base, connectors_from: 'a', metrics_from: 'b', checks_from: 'd' }),
      undefined,
      read,
    );
    expect(plan.connectors).toEqual([connector]);
    expect(plan.marts).toEqual(['fct_sales', 'mart_m']);
    expect(plan.checks).toEqual([{ type: 'data_quality', table: 'fct_sales', checks: ['row_count > 0'] }]);
    expect(plan.from).toEqual({
      connectors: { workflow_id: 'schema-to-pipeline/x/1', run_id: 'run-1' },
      metrics: { workflow_id: 'analytics-pipeline/x/1', run_id: 'run-1' },
      checks: { workflow_id: 'pipeline-testing/x/1', run_id: 'run-1' },
    });
    const from = (field: string, id: string) =>
      planEtl(EtlRequest.parse({ ...base, connectors: undefined, connectors_from: 'a', [field]: id }), undefined, read);
    await expect(from('connectors_from', 'zz')).rejects.toThrow('connectors_from: no workflow with id zz');
    await expect(from('connectors_from', 'running')).rejects.toThrow(
      'connectors_from: expected a completed chain of schema-to-pipeline, got running RUNNING',
    );
    await expect(from('metrics_from', 'a')).rejects.toThrow(
      'metrics_from: expected a chain of analytics-pipeline, got one of schema-to-pipeline (a)',
    );
  });

  it('takes a request with both a list and its *_from, or with neither connectors nor connectors_from, as invalid', () => {
    const both = EtlRequest.safeParse({
      connections: { s: { kind: 'postgres' } },
      connectors: [connector],
      connectors_from: 'a',
    });
    expect(both.success ? [] : both.error.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['connectors_from', 'expected connectors or connectors_from, got both'],
    ]);
    const neither = EtlRequest.safeParse({ connections: { s: { kind: 'postgres' } } });
    expect(neither.success ? [] : neither.error.issues.map((i) => i.message)).toEqual([
      'expected connectors or connectors_from, got neither',
    ]);
  });
});

describe('runExtract', () => {
  it("fails at once, not retryably, when the worker lacks the source's URL", async () => {
    const err: unknown = await runExtract([connector], {
      warehouse: '/nonexistent/never-opened.duckdb',
      connections: { shop: { kind: 'postgres', url_env: 'NO_SUCH_URL', single_client: false } },
      env: {},
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'SourceNotConfigured', nonRetryable: true });
    expect(err).toHaveProperty('message', expect.stringContaining('env var NO_SUCH_URL is not set'));
  });
});
