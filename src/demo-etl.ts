import type { Client } from '@temporalio/client';
import { etlToolsInstalled, installEtlTools } from './etl/install.js';
import { generateJaffle, loadJaffle } from './etl/jaffle.js';
import { openSourceDatabase, withSource, type SourceDatabase } from './etl/source.js';
import { expandRange } from './identity/index.js';
import { startBackfill } from './temporal/backfills.js';
import { loadChain } from './cli/load-chain.js';
import { chainReport, cliTable } from './cli/render.js';
import { field } from './field.js';
import type { BackfillProgress } from './workflows/backfill.js';

/** The days of shop history the demo's source holds, ending today; the pipeline runs the last 7 before today. */
const SHOP_DAYS = 30;
export const DEMO_ETL_DAYS = 7;

const isoDay = (date: Date): string => date.toISOString().slice(0, 10);

/**
 * The demo's source for warehouse-etl: the PostgreSQL server SOURCE_DATABASE_URL names, or else an embedded PGlite
 * served on 127.0.0.1, its URL put in this process's environment for the worker. Either way the Jaffle Shop is
 * (re)loaded into its schema `jaffle` unless it is already there, so its last order falls today.
 */
export async function startDemoSource(log: (line: string) => void): Promise<SourceDatabase> {
  // dbt and jafgen, in the project-local venv .dbt/ (a no-op once installed), as the Temporal CLI in .temporal/.
  if (!etlToolsInstalled()) log('installing dbt-core, dbt-duckdb and jafgen into .dbt/ (once) …');
  if (!installEtlTools(log)) throw new Error('the ETL tools could not be installed: npm run etl:install says why');
  const source = await openSourceDatabase(process.env);
  try {
    const loaded = await withSource(source.url, async (client) => {
      const found = await client.query<{ n: string }>(
        `SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'jaffle' AND table_name = 'orders'`,
      );
      if (source.engine === 'postgres' && Number(found.rows[0]?.n ?? 0) > 0) return undefined;
      return loadJaffle(client, await generateJaffle(1), { days: SHOP_DAYS, endsOn: isoDay(new Date()) });
    });
    process.env.SOURCE_DATABASE_URL = source.url;
    log(
      loaded !== undefined
        ? `source: ${source.engine === 'pglite' ? 'embedded PGlite (set SOURCE_DATABASE_URL for a real PostgreSQL)' : 'PostgreSQL from SOURCE_DATABASE_URL'}, Jaffle Shop loaded: ${Object.entries(
            loaded.rows,
          )
            .map(([t, n]) => `${n} ${t}`)
            .join(', ')}; orders ${loaded.firstOrderAt} … ${loaded.lastOrderAt}`
        : 'source: PostgreSQL from SOURCE_DATABASE_URL, its schema jaffle as it is',
    );
    return source;
  } catch (err) {
    await source.close();
    throw err;
  }
}

/**
 * warehouse-etl over the last {@link DEMO_ETL_DAYS} days before today, as one backfill (4 partitions at a time),
 * with its metrics taken from the analytics-pipeline chain the demo ran. Prints a line per partition, then the last
 * partition's chain with its stage tables; returns how many partitions failed.
 */
export async function runDemoEtl(
  client: Client,
  payload: Record<string, unknown>,
  link: (workflowId: string, runId: string) => string | undefined,
  print: (report: string) => void,
): Promise<number> {
  const today = new Date();
  const day = (back: number): string => isoDay(new Date(today.getTime() - back * 86_400_000));
  const from = day(DEMO_ETL_DAYS);
  const to = day(1);
  const partitions = expandRange(from, to, 'day');
  const { handle } = await startBackfill(client, {
    flow: 'warehouse-etl',
    payload,
    partitions: { list: partitions },
    mode: 'all',
    maxConcurrent: 4,
  });
  const result: unknown = await handle.result();
  const progress = result as BackfillProgress;
  const summary = cliTable(['partition', 'status', 'rows extracted', 'dbt models', 'checks passed / failed', 'took']);
  let failed = 0;
  let last: string | undefined;
  for (const p of progress.partitions) {
    const { outcome, runId } = await loadChain(client, p.workflowId);
    if (outcome.status !== 'COMPLETED') failed += 1;
    const out = (to: string): unknown => outcome.state?.handoffs.find((h) => h.to === to)?.output;
    const tables = field(out('extract'), 'tables');
    const models = field(out('transform'), 'models');
    const checks = field(out('radar'), 'summary');
    const handoffs = outcome.state?.handoffs ?? [];
    const started = Date.parse(handoffs[0]?.startedAt ?? '');
    const finished = Date.parse(handoffs.at(-1)?.finishedAt ?? '');
    summary.push([
      p.partition,
      outcome.status,
      Array.isArray(tables) ? String(tables.reduce((n: number, t) => n + Number(field(t, 'rows') ?? 0), 0)) : '',
      Array.isArray(models) ? String(models.length) : '',
      checks !== undefined ? `${String(field(checks, 'passed'))} / ${String(field(checks, 'failed'))}` : '',
      Number.isFinite(finished - started) ? `${((finished - started) / 1000).toFixed(1)} s` : '',
    ]);
    last = chainReport(p.workflowId, outcome, link(p.workflowId, runId));
  }
  print(
    `warehouse-etl backfill ${from}..${to} (${handle.workflowId}): ${progress.partitions.length - failed} of ${progress.partitions.length} partitions completed\n${summary.toString()}`,
  );
  if (last !== undefined) print(`the last partition, stage by stage:\n${last}`);
  return failed;
}
