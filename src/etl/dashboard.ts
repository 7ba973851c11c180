import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { withWarehouse } from '../agents/builtin/warehouse.js';

export interface DashboardRequest {
  /** The DuckDB warehouse file (read with withWarehouse, never held open). */
  readonly warehouse: string;
  /** The folder the run's dashboard is written into (created): index.html plus one .svg per chart. */
  readonly dir: string;
  /** Page title, e.g. "warehouse-etl · date_key=2026-11-01". */
  readonly title: string;
  /** The partition day (YYYY-MM-DD) the run built, or null for a full run; highlighted in time charts. */
  readonly partition: string | null;
  /** Mart relations to chart, as dbt names them in DuckDB (e.g. "main.fct_sales", "main.mart_daily_revenue"). */
  readonly marts: readonly string[];
  readonly signal?: AbortSignal;
}

export interface DashboardChart {
  /** The relation, as requested. */
  readonly mart: string;
  readonly kind: 'fact' | 'time' | 'entity';
  /** The svg file name within the dashboard's folder. */
  readonly file: string;
  /** Rows plotted. */
  readonly rows: number;
  /** Sum of the plotted values (so a test can compare with the mart). */
  readonly total: number;
}

export interface DashboardResult {
  /** Absolute path of the run's index.html. */
  readonly index: string;
  readonly charts: readonly DashboardChart[];
}

/** Failure types of the publish stage's dashboard, as ApplicationFailure `type`s; both are non-retryable. */
export const DashboardFailure = {
  /** A requested mart is not in the warehouse (dbt did not build it, or the name is wrong). */
  MartMissing: 'MartMissing',
  /** A mart has none of the shapes a dashboard charts (fact, time metric, entity metric). */
  MartUnrecognized: 'MartUnrecognized',
  /** The request itself is malformed (a partition that is not a day, a relation name that is not one). */
  DashboardRejected: 'DashboardRejected',
} as const;

/** Days of the fact's revenue chart, ending with the partition (or the latest day). */
const FACT_DAYS = 90;
/** Periods of a time metric's chart, ending with the one that holds the partition (or the latest). */
const TIME_PERIODS = 90;
const TOP_ENTITIES = 20;
/** A longer table starts folded (a `<details>`), so the charts stay in view. */
const OPEN_TABLE_ROWS = 25;
const DAY_MS = 86_400_000;
const MANIFEST = 'dashboard.json';
const COLOURS = { bar: '#4c78a8', highlight: '#e45756' };

/** What a run's folder records of its dashboard, read back to list the runs in the parent folder. */
const DashboardManifest = z.object({
  title: z.string(),
  partition: z.string().nullable(),
  generated_at: z.string(),
  charts: z.array(
    z.object({
      mart: z.string(),
      kind: z.enum(['fact', 'time', 'entity']),
      file: z.string(),
      rows: z.number(),
      total: z.number(),
    }),
  ),
});
type DashboardManifest = z.infer<typeof DashboardManifest>;

interface Relation {
  readonly name: string;
  readonly catalog: string | undefined;
  readonly schema: string;
  readonly table: string;
  /** The relation quoted for SQL. */
  readonly sql: string;
}

/** One plotted point: its label in the table, its x (epoch ms for time charts), value and fact rows. */
interface Point {
  readonly key: string;
  readonly x: number | string;
  readonly value: number;
  readonly factRows: number | null;
  readonly highlight: boolean;
}

/** A chart's numbers, before it is drawn. */
interface Queried extends Omit<DashboardChart, 'file'> {
  readonly heading: string;
  readonly keyLabel: string;
  readonly points: readonly Point[];
}

interface Chart extends Queried {
  readonly file: string;
  readonly svg: string;
}

/**
 * Writes a run's dashboard: one SVG chart per mart (two for a fact with `product_type`), rendered in Node with
 * Vega-Lite → Vega, and an `index.html` that shows them with a table of the plotted numbers under each. Then
 * rewrites the parent folder's `index.html`, which lists every run's dashboard there, newest first. The warehouse is
 * opened once, for the queries, and closed before rendering. The run's page is replaced last and atomically, so a
 * reader never sees it point at charts not yet written.
 */
export async function writeDashboard(request: DashboardRequest): Promise<DashboardResult> {
  const partition = request.partition;
  if (partition !== null && !isDay(partition)) {
    throw reject(`partition "${partition}" is not a day (YYYY-MM-DD)`);
  }
  const relations = request.marts.map(parseRelation);
  const queried = await withWarehouse({ warehouse: request.warehouse, signal: request.signal }, async (conn) => {
    const all: Queried[][] = [];
    for (const relation of relations) {
      request.signal?.throwIfAborted();
      all.push(await queryMart(conn, relation, partition));
    }
    return all.flat();
  });
  // Loaded on first use: most handoffs and commands never draw.
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  const dir = resolve(request.dir);
  await mkdir(dir, { recursive: true });
  const files = new Set<string>();
  const charts: Chart[] = [];
  for (const chart of queried) {
    request.signal?.throwIfAborted();
    const file = uniqueFile(chart, files);
    const view = new vega.View(vega.parse(vl.compile(chartSpec(chart)).spec), { renderer: 'none' });
    try {
      const svg = await view.toSVG();
      await writeAtomically(join(dir, file), svg);
      charts.push({ ...chart, file, svg });
    } finally {
      view.finalize();
    }
  }
  const generatedAt = new Date().toISOString();
  const manifest: DashboardManifest = {
    title: request.title,
    partition,
    generated_at: generatedAt,
    charts: charts.map(({ mart, kind, file, rows, total }) => ({ mart, kind, file, rows, total })),
  };
  await writeAtomically(join(dir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  const index = join(dir, 'index.html');
  await writeAtomically(index, runPage(request.title, partition, generatedAt, charts));
  await inTurn(dirname(dir), () => writeRunsIndex(dirname(dir)));
  return { index, charts: manifest.charts };
}

function reject(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`dashboard: ${message}`, DashboardFailure.DashboardRejected);
}

function isDay(text: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(text) && new Date(`${text}T00:00:00Z`).toISOString().startsWith(text);
}

/** `table`, `schema.table` or `catalog.schema.table`; a bare table is in `main`, where dbt-duckdb builds. */
function parseRelation(name: string): Relation {
  const parts = name.split('.');
  if (parts.length > 3 || parts.some((p) => p.trim() === '' || p.includes('"'))) {
    throw reject(`mart "${name}" is not a relation name (table, schema.table or catalog.schema.table)`);
  }
  const [table = '', schema = 'main', catalog] = [...parts].reverse();
  const quoted = [catalog, schema, table].filter((p): p is string => p !== undefined).map((p) => `"${p}"`);
  return { name, catalog, schema, table, sql: quoted.join('.') };
}

async function rowsOf(conn: DuckDBConnection, sql: string, params: Record<string, string> = {}) {
  return (await conn.runAndReadAll(sql, params)).getRowObjectsJS();
}

/** The queries cast what they return to VARCHAR or DOUBLE; anything else (NULL) reads as empty. */
const text = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));

/** The mart's chart(s): its kind from its columns, then the numbers to plot. */
async function queryMart(conn: DuckDBConnection, relation: Relation, partition: string | null): Promise<Queried[]> {
  const catalogFilter = relation.catalog !== undefined ? ' AND table_catalog = $catalog' : '';
  const columns = (
    await rowsOf(
      conn,
      `SELECT column_name FROM information_schema.columns
       WHERE table_schema = $schema AND table_name = $table${catalogFilter} ORDER BY ordinal_position`,
      {
        schema: relation.schema,
        table: relation.table,
        ...(relation.catalog !== undefined ? { catalog: relation.catalog } : {}),
      },
    )
  ).map((row) => text(row.column_name));
  if (columns.length === 0) {
    throw ApplicationFailure.nonRetryable(
      `dashboard: mart ${relation.name} does not exist in the warehouse (no relation ${relation.sql})`,
      DashboardFailure.MartMissing,
    );
  }
  const has = (...names: string[]): boolean => names.every((n) => columns.includes(n));
  if (has('date_key', 'amount')) return factCharts(conn, relation, partition, has('product_type'));
  if (has('period_start', 'value')) return [await timeChart(conn, relation, partition, has('fact_rows'))];
  const keys = columns.filter((c) => c !== 'value' && c !== 'fact_rows');
  const [key] = keys;
  if (has('value') && keys.length === 1 && key !== undefined) {
    return [await entityChart(conn, relation, key, has('fact_rows'))];
  }
  throw ApplicationFailure.nonRetryable(
    `dashboard: mart ${relation.name} has columns (${columns.join(', ')}), none of the shapes charted: a fact (date_key, amount), a time metric (period_start, value) or an entity metric (one key column, value)`,
    DashboardFailure.MartUnrecognized,
  );
}

function summed(points: readonly Point[]): number {
  return points.reduce((sum, p) => sum + p.value, 0);
}

/** Revenue per day over the 90 days ending with the partition (or the latest day), and per product type over them. */
async function factCharts(
  conn: DuckDBConnection,
  relation: Relation,
  partition: string | null,
  byProductType: boolean,
): Promise<Queried[]> {
  const end =
    partition ??
    text((await rowsOf(conn, `SELECT strftime(max(date_key), '%Y-%m-%d') AS d FROM ${relation.sql}`))[0]?.d);
  if (end === '') {
    return [
      fact(relation, 'revenue per day', 'day', []),
      ...(byProductType ? [fact(relation, 'revenue per product type', 'product type', [])] : []),
    ];
  }
  const window = `date_key > CAST($end AS DATE) - INTERVAL ${FACT_DAYS} DAY AND date_key <= CAST($end AS DATE)`;
  const days = await rowsOf(
    conn,
    `SELECT strftime(date_key, '%Y-%m-%d') AS day, CAST(sum(amount) AS DOUBLE) AS value, count(*) AS fact_rows
     FROM ${relation.sql} WHERE ${window} GROUP BY date_key HAVING sum(amount) IS NOT NULL ORDER BY date_key`,
    { end },
  );
  const perDay = days.map((row) => ({
    key: text(row.day),
    x: Date.parse(`${text(row.day)}T00:00:00Z`),
    value: num(row.value),
    factRows: num(row.fact_rows),
    highlight: text(row.day) === partition,
  }));
  const first = new Date(Date.parse(`${end}T00:00:00Z`) - (FACT_DAYS - 1) * DAY_MS).toISOString().slice(0, 10);
  const charts = [fact(relation, `revenue per day, ${first} to ${end}`, 'day', perDay)];
  if (byProductType) {
    const types = await rowsOf(
      conn,
      `SELECT coalesce(CAST(product_type AS VARCHAR), '(none)') AS key, CAST(sum(amount) AS DOUBLE) AS value,
         count(*) AS fact_rows
       FROM ${relation.sql} WHERE ${window} GROUP BY 1 HAVING sum(amount) IS NOT NULL ORDER BY value DESC, key`,
      { end },
    );
    const perType = types.map((row) => ({
      key: text(row.key),
      x: text(row.key),
      value: num(row.value),
      factRows: num(row.fact_rows),
      highlight: false,
    }));
    charts.push(fact(relation, `revenue per product type, ${first} to ${end}`, 'product type', perType));
  }
  return charts;
}

function fact(relation: Relation, heading: string, keyLabel: string, points: readonly Point[]): Queried {
  return { mart: relation.name, kind: 'fact', heading, keyLabel, points, rows: points.length, total: summed(points) };
}

/**
 * The metric per period: the last 90 periods that start before the partition's day ends (or the last 90). The
 * periods that cover the partition are highlighted: those starting within its day, and the last one starting
 * before it (a week or month that holds it).
 */
async function timeChart(
  conn: DuckDBConnection,
  relation: Relation,
  partition: string | null,
  withFactRows: boolean,
): Promise<Queried> {
  const until = partition !== null ? 'AND period_start < CAST($partition AS TIMESTAMP) + INTERVAL 1 DAY' : '';
  const rows = await rowsOf(
    conn,
    `SELECT * FROM (
       SELECT strftime(CAST(period_start AS TIMESTAMP), '%Y-%m-%d %H:%M') AS label,
         CAST(epoch_ms(CAST(period_start AS TIMESTAMP)) AS DOUBLE) AS ms, CAST(value AS DOUBLE) AS value,
         ${withFactRows ? 'CAST(fact_rows AS DOUBLE)' : 'NULL'} AS fact_rows
       FROM ${relation.sql} WHERE value IS NOT NULL AND period_start IS NOT NULL ${until}
       ORDER BY period_start DESC LIMIT ${TIME_PERIODS}
     ) ORDER BY ms`,
    partition !== null ? { partition } : {},
  );
  const day = partition !== null ? Date.parse(`${partition}T00:00:00Z`) : undefined;
  const anchor = day !== undefined ? Math.max(...rows.map((r) => num(r.ms)).filter((ms) => ms <= day)) : undefined;
  const points = rows.map((row) => {
    const ms = num(row.ms);
    return {
      key: text(row.label).replace(/ 00:00$/, ''),
      x: ms,
      value: num(row.value),
      factRows: row.fact_rows === null ? null : num(row.fact_rows),
      highlight: day !== undefined && (ms === anchor || (ms >= day && ms < day + DAY_MS)),
    };
  });
  return {
    mart: relation.name,
    kind: 'time',
    heading: `value per period`,
    keyLabel: 'period start',
    points,
    rows: points.length,
    total: summed(points),
  };
}

/** The top 20 entities by value (ties by key). */
async function entityChart(
  conn: DuckDBConnection,
  relation: Relation,
  key: string,
  withFactRows: boolean,
): Promise<Queried> {
  const rows = await rowsOf(
    conn,
    `SELECT coalesce(CAST("${key.replace(/"/g, '""')}" AS VARCHAR), '(none)') AS key, CAST(value AS DOUBLE) AS value,
       ${withFactRows ? 'CAST(fact_rows AS DOUBLE)' : 'NULL'} AS fact_rows
     FROM ${relation.sql} WHERE value IS NOT NULL ORDER BY value DESC, key LIMIT ${TOP_ENTITIES}`,
  );
  const points = rows.map((row) => ({
    key: text(row.key),
    x: text(row.key),
    value: num(row.value),
    factRows: row.fact_rows === null ? null : num(row.fact_rows),
    highlight: false,
  }));
  return {
    mart: relation.name,
    kind: 'entity',
    heading: `top ${TOP_ENTITIES} by value`,
    keyLabel: key,
    points,
    rows: points.length,
    total: summed(points),
  };
}

/** `<relation>[.<what>].svg`, safe as a file name and a URL path segment, and unique within the dashboard. */
function uniqueFile(chart: Queried, taken: Set<string>): string {
  const what = chart.kind === 'fact' ? (chart.keyLabel === 'day' ? '.by-day' : '.by-product-type') : '';
  const stem = `${chart.mart}${what}`.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^\.+/, '_');
  let file = `${stem}.svg`;
  for (let n = 2; taken.has(file); n += 1) file = `${stem}-${n}.svg`;
  taken.add(file);
  return file;
}

/** The Vega-Lite spec of a chart; times are UTC epoch milliseconds, so the output is the same in any time zone. */
function chartSpec(chart: Queried) {
  const values = chart.points.map((p) => ({ key: p.key, x: p.x, value: p.value, highlight: p.highlight }));
  const colour = {
    condition: { test: 'datum.highlight', value: COLOURS.highlight },
    value: COLOURS.bar,
  };
  const base = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `${chart.mart} · ${chart.heading}`, anchor: 'start' as const, fontSize: 13 },
    data: { values },
    config: { font: 'sans-serif', view: { stroke: null } },
  };
  const valueAxis = { field: 'value', type: 'quantitative' as const, title: 'value' };
  if (chart.kind === 'entity' || chart.keyLabel === 'product type') {
    return {
      ...base,
      width: 560,
      height: { step: 18 },
      mark: { type: 'bar' as const },
      encoding: {
        y: { field: 'key', type: 'nominal' as const, sort: null, title: chart.keyLabel, axis: { labelLimit: 200 } },
        x: valueAxis,
        color: colour,
      },
    };
  }
  const x = {
    field: 'x',
    type: 'temporal' as const,
    title: chart.keyLabel,
    scale: { type: 'utc' as const },
    axis: { labelAngle: 0 },
  };
  if (chart.kind === 'fact') {
    return {
      ...base,
      width: 640,
      height: 220,
      mark: { type: 'bar' as const },
      encoding: { x: { ...x, timeUnit: 'utcyearmonthdate' as const, bandPosition: 0 }, y: valueAxis, color: colour },
    };
  }
  return {
    ...base,
    width: 640,
    height: 220,
    layer: [
      { mark: { type: 'line' as const, color: COLOURS.bar }, encoding: { x, y: valueAxis } },
      { mark: { type: 'point' as const, filled: true, size: 40 }, encoding: { x, y: valueAxis, color: colour } },
    ],
  };
}

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text for HTML content and quoted attributes. */
function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

const formatNumber = (n: number): string => n.toLocaleString('en-US', { maximumFractionDigits: 2 });

/** No script, nothing fetched but the page's own SVGs and inline styles. */
const PAGE_HEAD = `<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src 'self'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; max-width: 60rem; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2.5rem; }
table { border-collapse: collapse; font-size: 0.85rem; margin-top: 0.5rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.2rem 0.8rem; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.highlight td { background: #fde8e8; font-weight: 600; }
img { max-width: 100%; height: auto; display: block; }
.meta { color: #666; }
</style>`;

function runPage(title: string, partition: string | null, generatedAt: string, charts: readonly Chart[]): string {
  const sections = charts.map((chart, i) => {
    const rows = chart.points.map(
      (p) =>
        `<tr data-key="${escapeHtml(p.key)}" data-value="${p.value}"${p.highlight ? ' class="highlight" data-highlight="true"' : ''}>` +
        `<td>${escapeHtml(p.key)}</td><td class="num">${formatNumber(p.value)}</td>` +
        `<td class="num">${p.factRows === null ? '' : formatNumber(p.factRows)}</td></tr>`,
    );
    const size = /^<svg\b[^>]*\swidth="(\d+)"[^>]*\sheight="(\d+)"/.exec(chart.svg);
    const dims = size !== null ? ` width="${size[1]}" height="${size[2]}"` : '';
    const alt = `${chart.mart} ${chart.heading}`;
    return `<section class="chart" id="chart-${i + 1}" data-mart="${escapeHtml(chart.mart)}" data-kind="${chart.kind}" data-file="${escapeHtml(chart.file)}" data-rows="${chart.rows}" data-total="${chart.total}">
<h2>${escapeHtml(chart.mart)} <span class="meta">· ${escapeHtml(chart.heading)}</span></h2>
<img src="${escapeHtml(encodeURIComponent(chart.file))}"${dims} alt="${escapeHtml(alt)}">
<details${chart.rows > OPEN_TABLE_ROWS ? '' : ' open'}><summary>the plotted numbers (${chart.rows} rows)</summary>
<table>
<thead><tr><th>${escapeHtml(chart.keyLabel)}</th><th class="num">value</th><th class="num">fact rows</th></tr></thead>
<tbody>
${rows.length > 0 ? rows.join('\n') : '<tr><td colspan="3">no rows</td></tr>'}
</tbody>
<tfoot><tr><th>total (${chart.rows} rows)</th><th class="num" data-total="${chart.total}">${formatNumber(chart.total)}</th><th></th></tr></tfoot>
</table>
</details>
</section>`;
  });
  return `<!doctype html>
<html lang="en">
<head>
${PAGE_HEAD}
<title>${escapeHtml(title)}</title>
</head>
<body>
<p><a href="../">all dashboards</a></p>
<h1 id="title">${escapeHtml(title)}</h1>
<p class="meta">partition: <span id="partition" data-partition="${escapeHtml(partition ?? '')}">${escapeHtml(partition ?? 'all (full run)')}</span>
· generated <time id="generated" datetime="${generatedAt}">${generatedAt}</time></p>
${sections.join('\n')}
</body>
</html>
`;
}

/** Index rewrites of one folder in this process, in turn, so a run finishing meanwhile is not dropped from it. */
const indexTurns = new Map<string, Promise<void>>();

async function inTurn(folder: string, fn: () => Promise<void>): Promise<void> {
  const mine = (indexTurns.get(folder) ?? Promise.resolve()).catch(() => undefined).then(fn);
  indexTurns.set(folder, mine);
  try {
    await mine;
  } finally {
    if (indexTurns.get(folder) === mine) indexTurns.delete(folder);
  }
}

/** Rewrites `<parent>/index.html`: every run folder there with a dashboard, newest first. */
async function writeRunsIndex(parent: string): Promise<void> {
  const runs: { name: string; manifest: DashboardManifest }[] = [];
  for (const entry of await readdir(parent, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const raw = await readFile(join(parent, entry.name, MANIFEST), 'utf8').catch(() => undefined);
    if (raw === undefined) continue;
    const parsed = DashboardManifest.safeParse(safeJson(raw));
    if (parsed.success) runs.push({ name: entry.name, manifest: parsed.data });
  }
  runs.sort(
    (a, b) => b.manifest.generated_at.localeCompare(a.manifest.generated_at) || a.name.localeCompare(b.name, 'en'),
  );
  const items = runs.map(
    ({ name, manifest }) =>
      `<tr data-run="${escapeHtml(name)}"><td><a href="${escapeHtml(encodeURIComponent(name))}/">${escapeHtml(manifest.title)}</a></td>` +
      `<td>${escapeHtml(manifest.partition ?? 'all')}</td><td><time datetime="${escapeHtml(manifest.generated_at)}">${escapeHtml(manifest.generated_at)}</time></td>` +
      `<td class="num">${manifest.charts.length}</td></tr>`,
  );
  const page = `<!doctype html>
<html lang="en">
<head>
${PAGE_HEAD}
<title>dashboards</title>
</head>
<body>
<h1>Dashboards in ${escapeHtml(basename(parent))}</h1>
<table id="runs">
<thead><tr><th>run</th><th>partition</th><th>generated</th><th class="num">charts</th></tr></thead>
<tbody>
${items.length > 0 ? items.join('\n') : '<tr><td colspan="4">no dashboards yet</td></tr>'}
</tbody>
</table>
</body>
</html>
`;
  await writeAtomically(join(parent, 'index.html'), page);
}

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

/** Write beside, then rename: a reader (the dashboard server) sees the old file or the new one, never half. */
async function writeAtomically(file: string, content: string): Promise<void> {
  const temp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(temp, content);
  await rename(temp, file);
}
