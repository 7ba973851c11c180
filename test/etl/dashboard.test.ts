import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withWarehouse } from '../../src/agents/builtin/warehouse.js';
import { DashboardFailure, writeDashboard, type DashboardResult } from '../../src/etl/dashboard.js';
import { occurrences } from '../processes.js';
import { svgTexts, xmlProblems } from '../xml.js';
import { buildMarts, dashboardTables, HOSTILE_TYPE, martNumbers, PARTITION } from './dashboard-fixture.js';

/** Marks drawn in the highlight colour: the partition's day, and its day and month in the time metrics. */
const HIGHLIGHTED_MARKS: Record<string, number> = {
  'main.fct_sales.by-day.svg': 1,
  'main.fct_sales.by-product-type.svg': 0,
  'main.mart_daily_revenue.svg': 1,
  'main.mart_monthly_orders.svg': 1,
  'main.mart_customer_revenue.svg': 0,
};
const HOSTILE_TITLE = `<script>alert("x")</script> & 'quoted' · date_key=${PARTITION}`;

let dir = '';
let warehouse = '';
let result: DashboardResult;
let html = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dashboard-'));
  warehouse = join(dir, 'warehouse.duckdb');
  await buildMarts(warehouse);
  result = await writeDashboard({
    warehouse,
    dir: join(dir, 'dashboards', 'run-1'),
    title: HOSTILE_TITLE,
    partition: PARTITION,
    marts: ['main.fct_sales', 'main.mart_daily_revenue', 'main.mart_monthly_orders', 'main.mart_customer_revenue'],
  });
  html = await readFile(result.index, 'utf8');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeDashboard', () => {
  it('charts each mart by the kind its columns show, into valid standalone SVG files', async () => {
    expect(result.index).toBe(join(dir, 'dashboards', 'run-1', 'index.html'));
    expect(result.charts.map((c) => [c.mart, c.kind, c.file])).toEqual([
      ['main.fct_sales', 'fact', 'main.fct_sales.by-day.svg'],
      ['main.fct_sales', 'fact', 'main.fct_sales.by-product-type.svg'],
      ['main.mart_daily_revenue', 'time', 'main.mart_daily_revenue.svg'],
      ['main.mart_monthly_orders', 'time', 'main.mart_monthly_orders.svg'],
      ['main.mart_customer_revenue', 'entity', 'main.mart_customer_revenue.svg'],
    ]);
    for (const chart of result.charts) {
      const svg = await readFile(join(dir, 'dashboards', 'run-1', chart.file), 'utf8');
      expect(svg).toMatch(/^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*width="\d+" height="\d+"/);
      expect(xmlProblems(svg), chart.file).toEqual([]);
      expect(svgTexts(svg).join('\n')).toContain(chart.mart);
      // One bar or point per plotted row, and the partition's marks in the highlight colour.
      expect(chart.rows).toBeGreaterThan(0);
      expect(occurrences(svg, 'aria-roledescription="bar"') + occurrences(svg, 'aria-roledescription="point"')).toBe(
        chart.rows,
      );
      expect(occurrences(svg, 'fill="#e45756"'), chart.file).toBe(HIGHLIGHTED_MARKS[chart.file]);
      expect(html).toContain(`src="${encodeURIComponent(chart.file)}"`);
    }
  });

  it('shows under each chart the numbers of the mart, computed here independently', async () => {
    const tables = dashboardTables(html);
    const expected = await martNumbers(warehouse, PARTITION);
    expect(tables.map((t) => t.file)).toEqual(result.charts.map((c) => c.file));
    for (const [i, table] of tables.entries()) {
      const chart = result.charts[i];
      const want = expected[table.file];
      expect(want, table.file).toBeDefined();
      expect(table.rows.map((r) => r.key)).toEqual(want?.map((r) => r.key));
      for (const [j, row] of table.rows.entries()) expect(row.value).toBeCloseTo(want?.[j]?.value ?? NaN, 6);
      const sum = want?.reduce((s, r) => s + r.value, 0) ?? NaN;
      expect(chart?.rows).toBe(want?.length);
      expect(chart?.total).toBeCloseTo(sum, 6);
      expect(table.total).toBeCloseTo(sum, 6);
    }
    // The day chart covers the 90 days ending with the partition; the entity chart the top 20 of 40 customers.
    expect(tables[0]?.rows.at(0)?.key).toBe('2026-07-18');
    expect(tables[0]?.rows.at(-1)?.key).toBe(PARTITION);
    expect(tables[4]?.rows).toHaveLength(20);
  });

  it('highlights the partition in the time charts: its day, and the month that holds it', () => {
    const tables = dashboardTables(html);
    const highlighted = tables.map((t) => t.rows.filter((r) => r.highlight).map((r) => r.key));
    expect(highlighted).toEqual([[PARTITION], [], [PARTITION], ['2026-10-01'], []]);
    expect(html).toContain(`data-partition="${PARTITION}"`);
    expect(html).toMatch(/<time id="generated" datetime="\d{4}-\d{2}-\d{2}T[\d:.]+Z">/);
  });

  it('escapes the title and mart values in the page, and keeps the SVG well-formed around them', async () => {
    expect(html).not.toContain('<script');
    expect(html).toContain('<title>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quoted&#39;');
    expect(html).toContain(`data-key="&lt;b&gt;&quot;jaffle&quot; &amp; &#39;co&#39;&lt;/b&gt;"`);
    const svg = await readFile(join(dir, 'dashboards', 'run-1', 'main.fct_sales.by-product-type.svg'), 'utf8');
    expect(xmlProblems(svg)).toEqual([]);
    expect(svgTexts(svg)).toContain(HOSTILE_TYPE);
  });

  it('lists the runs in the parent folder, newest first, and every run of a batch written at once', async () => {
    await writeDashboard({
      warehouse,
      dir: join(dir, 'dashboards', 'run-2'),
      title: 'full run',
      partition: null,
      marts: ['main.mart_customer_revenue'],
    });
    const root = await readFile(join(dir, 'dashboards', 'index.html'), 'utf8');
    expect([...root.matchAll(/<tr data-run="([^"]+)">/g)].map((m) => m[1])).toEqual(['run-2', 'run-1']);
    expect(root).toContain('<a href="run-2/">full run</a>');
    expect(root).not.toContain('<script');

    const together = ['a', 'b', 'c', 'd', 'e', 'f'].map((run) =>
      writeDashboard({
        warehouse,
        dir: join(dir, 'together', run),
        title: run,
        partition: null,
        marts: ['main.mart_monthly_orders'],
      }),
    );
    await Promise.all(together);
    const listed = await readFile(join(dir, 'together', 'index.html'), 'utf8');
    expect([...listed.matchAll(/<tr data-run="([^"]+)">/g)].map((m) => m[1]).sort()).toEqual([
      'a',
      'b',
      'c',
      'd',
      'e',
      'f',
    ]);
  });

  it('charts an empty fact as empty charts', async () => {
    const empty = await writeDashboard({
      warehouse,
      dir: join(dir, 'dashboards', 'empty'),
      title: 'empty',
      partition: PARTITION,
      marts: ['main.empty_sales'],
    });
    expect(empty.charts.map((c) => [c.file, c.rows, c.total])).toEqual([
      ['main.empty_sales.by-day.svg', 0, 0],
      ['main.empty_sales.by-product-type.svg', 0, 0],
    ]);
    for (const chart of empty.charts) {
      expect(xmlProblems(await readFile(join(dir, 'dashboards', 'empty', chart.file), 'utf8'))).toEqual([]);
    }
    expect(await readFile(empty.index, 'utf8')).toContain('<td colspan="3">no rows</td>');
  });

  it('charts a full run up to the latest day, with nothing highlighted', async () => {
    const full = await writeDashboard({
      warehouse,
      dir: join(dir, 'dashboards', 'full'),
      title: 'full',
      partition: null,
      marts: ['main.fct_sales'],
    });
    const page = await readFile(full.index, 'utf8');
    const days = dashboardTables(page)[0]?.rows ?? [];
    expect(days.at(-1)?.key).toBe('2026-11-28');
    // 90 days but 2026-09-10, which has no sales.
    expect(days).toHaveLength(89);
    expect(page).not.toContain('data-highlight');
    const expected = await withWarehouse(warehouse, async (conn) =>
      (
        await conn.runAndReadAll(
          `SELECT CAST(sum(amount) AS DOUBLE) FROM fct_sales WHERE date_key > DATE '2026-11-28' - INTERVAL 90 DAY`,
        )
      ).getRows(),
    );
    expect(full.charts[0]?.total).toBeCloseTo(Number(expected[0]?.[0]), 6);
  });

  it('refuses a mart that is not in the warehouse, naming it, before writing anything', async () => {
    const target = join(dir, 'dashboards', 'missing');
    const failure = await writeDashboard({
      warehouse,
      dir: target,
      title: 'missing',
      partition: PARTITION,
      marts: ['main.fct_sales', 'main.mart_not_built'],
    }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: DashboardFailure.MartMissing, nonRetryable: true });
    expect((failure as Error).message).toContain('main.mart_not_built');
    expect(existsSync(target)).toBe(false);
  });

  it('refuses a mart of no known shape and a partition that is not a day', async () => {
    const odd = await writeDashboard({
      warehouse,
      dir: join(dir, 'dashboards', 'odd'),
      title: 'odd',
      partition: null,
      marts: ['main.odd_table'],
    }).catch((err: unknown) => err);
    expect(odd).toMatchObject({ type: DashboardFailure.MartUnrecognized });
    expect((odd as Error).message).toContain('main.odd_table has columns (a, b, c)');
    const day = await writeDashboard({
      warehouse,
      dir: join(dir, 'dashboards', 'bad-day'),
      title: 'bad',
      partition: '2026-02-30',
      marts: ['main.fct_sales'],
    }).catch((err: unknown) => err);
    expect(day).toMatchObject({ type: DashboardFailure.DashboardRejected });
  });
});
