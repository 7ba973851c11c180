import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { writeDashboard, type DashboardResult } from '../../src/etl/dashboard.js';
import { buildMarts, martNumbers, PARTITION, type Plotted } from '../etl/dashboard-fixture.js';
import { startProcess, waitForOutput, type Running } from '../processes.js';
import { launchChromium } from './browser.js';

const SHOTS = join(import.meta.dirname, '..', '..', 'test-results', 'ui');
/** Markup in the title: the page must show it as text, and run none of it. */
const TITLE = `warehouse-etl · date_key=${PARTITION} <img src=x onerror="document.title='pwned'">`;
const MARTS = ['main.fct_sales', 'main.mart_daily_revenue', 'main.mart_monthly_orders', 'main.mart_customer_revenue'];

let dir = '';
let warehouse = '';
let result: DashboardResult;
let server: Running;
let browser: Browser;
let url = '';

/** A warehouse with marts of each shape, a dashboard written for one partition, and the real command serving it. */
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stream-collab-ui-dashboard-'));
  await mkdir(SHOTS, { recursive: true });
  warehouse = join(dir, 'warehouse.duckdb');
  await buildMarts(warehouse);
  result = await writeDashboard({
    warehouse,
    dir: join(dir, 'dashboards', `warehouse-etl-${PARTITION}`),
    title: TITLE,
    partition: PARTITION,
    marts: MARTS,
  });
  server = startProcess(['bin/stream-collab.js', 'dashboard', '--dir', join(dir, 'dashboards'), '--port', '0'], {
    ...process.env,
  });
  await waitForOutput(server, 'dashboards: http://');
  url = /dashboards: (http:\/\/\S+)/.exec(server.output())?.[1] ?? '';
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  if (server !== undefined) {
    await server.stop();
    expect(server.groupAlive()).toBe(false);
  }
  await rm(dir, { recursive: true, force: true });
});

const Images = z.array(z.object({ src: z.string(), complete: z.boolean(), width: z.number() }));
const SeenCharts = z.array(
  z.object({
    file: z.string(),
    total: z.string(),
    rows: z.array(z.object({ key: z.string(), shown: z.string(), value: z.string(), highlight: z.boolean() })),
  }),
);

describe('the dashboard in a browser', () => {
  it('lists the run, and its page shows the numbers of the marts and the charts', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(url);
    await page.getByRole('link', { name: TITLE }).click();
    await page.waitForURL(`${url}warehouse-etl-${PARTITION}/`);
    await page.waitForLoadState('load');

    expect(await page.title()).toBe(TITLE);
    expect(await page.locator('h1').textContent()).toBe(TITLE);
    expect(await page.locator('#partition').textContent()).toBe(PARTITION);

    // String expressions: the test is compiled without the DOM's types; zod checks what comes back.
    const images = Images.parse(
      await page.evaluate(
        `[...document.images].map((img) => ({ src: img.getAttribute('src'), complete: img.complete, width: img.naturalWidth }))`,
      ),
    );
    expect(images.map((i) => i.src)).toEqual(result.charts.map((c) => encodeURIComponent(c.file)));
    for (const image of images) expect(image, image.src).toMatchObject({ complete: true });
    for (const image of images) expect(image.width, image.src).toBeGreaterThan(0);

    // What a reader sees: the rows' text, whether folded in a <details> or not.
    const charts = SeenCharts.parse(
      await page.evaluate(`[...document.querySelectorAll('section.chart')].map((section) => ({
        file: section.getAttribute('data-file'),
        total: section.querySelector('tfoot th[data-total]').textContent,
        rows: [...section.querySelectorAll('tbody tr[data-key]')].map((tr) => ({
          key: tr.cells[0].textContent,
          shown: tr.cells[1].textContent,
          value: tr.getAttribute('data-value'),
          highlight: tr.classList.contains('highlight'),
        })),
      }))`),
    );
    const expected = await martNumbers(warehouse, PARTITION);
    expect(charts.map((c) => c.file)).toEqual(result.charts.map((c) => c.file));
    for (const chart of charts) {
      const want: Plotted[] = expected[chart.file] ?? [];
      expect(want.length, chart.file).toBeGreaterThan(0);
      expect(chart.rows.map((r) => r.key)).toEqual(want.map((r) => r.key));
      for (const [i, row] of chart.rows.entries()) {
        const value = want[i]?.value ?? NaN;
        expect(Number(row.value)).toBeCloseTo(value, 6);
        // The shown number is the value to two decimals, with thousands separators.
        expect(Number(row.shown.replace(/,/g, ''))).toBeCloseTo(value, 2);
      }
      const sum = want.reduce((s, r) => s + r.value, 0);
      expect(Number(chart.total.replace(/,/g, ''))).toBeCloseTo(sum, 2);
    }
    expect(charts[0]?.rows.filter((r) => r.highlight).map((r) => r.key)).toEqual([PARTITION]);

    await page.screenshot({ path: join(SHOTS, 'dashboard.png'), fullPage: true });
    await page.close();
    expect(errors).toEqual([]);
  });

  it('shows a chart on its own as an SVG image', async () => {
    const page = await browser.newPage();
    const chart = result.charts.find((c) => c.kind === 'entity');
    const response = await page.goto(`${url}warehouse-etl-${PARTITION}/${chart?.file ?? ''}`);
    expect(response?.headers()['content-type']).toBe('image/svg+xml');
    const bars = await page.locator('[aria-roledescription="bar"]').count();
    expect(bars).toBe(chart?.rows);
    await page.close();
  });
});
