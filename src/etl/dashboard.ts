// Interim: a table-only dashboard with the agreed API, until the Vega-Lite one (branch wt-dash) is merged.
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { withWarehouse } from '../agents/builtin/warehouse.js';

export interface DashboardRequest {
  readonly warehouse: string;
  readonly dir: string;
  readonly title: string;
  readonly partition: string | null;
  readonly marts: readonly string[];
  readonly signal?: AbortSignal;
}
export interface DashboardChart {
  readonly mart: string;
  readonly kind: 'fact' | 'time' | 'entity';
  readonly file: string;
  readonly rows: number;
  readonly total: number;
}
export interface DashboardResult {
  readonly index: string;
  readonly charts: readonly DashboardChart[];
}

export async function writeDashboard(request: DashboardRequest): Promise<DashboardResult> {
  const charts = await withWarehouse(request, async (conn) => {
    const out: DashboardChart[] = [];
    for (const mart of request.marts) {
      const reader = await conn.runAndReadAll(`SELECT count(*) FROM ${mart}`);
      out.push({ mart, kind: 'fact', file: 'index.html', rows: Number(reader.getRows()[0]?.[0] ?? 0), total: 0 });
    }
    return out;
  });
  await mkdir(request.dir, { recursive: true });
  const index = resolve(join(request.dir, 'index.html'));
  await writeFile(index, `<html><body>${charts.map((c) => `<p>${c.mart}: ${c.rows}</p>`).join('')}</body></html>`);
  return { index, charts };
}
