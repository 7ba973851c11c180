/**
 * `npm run bench:etl`: a backfill of warehouse-etl over 90 days of the Jaffle Shop through our service (one Temporal
 * server, one worker with the real built-in stages, `startBackfill`), and the same work done by a plain script
 * without Temporal (planEtl, runExtract, runDbt, runPartitionChecks, writeDashboard per partition, the same number
 * of partitions at a time) as the baseline. Rounds alternate which side goes first (ours, baseline, baseline,
 * ours, …); each side of each round gets its own fresh source database and its own warehouse, so both do the same
 * work, and the marts they build are compared by fingerprint. Prints wall time, rows/s, time per stage, the largest
 * history and memory; it asserts nothing.
 *
 *   npm run bench:etl -- [--rounds 2] [--days 90] [--max-concurrent 4] [--source postgres|pglite] [--ends-on 2026-09-30]
 *
 * The source is a private PostgreSQL 15 started here (Debian's binaries, as in the tests), or an embedded PGlite
 * with `--source pglite`, or the server SOURCE_DATABASE_URL names (a database is created per side and dropped).
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { parseAgentsFile } from '../src/agents/config.js';
import { AgentRegistry } from '../src/agents/registry.js';
import { readFlowInput } from '../src/cli/input.js';
import { loadChain } from '../src/cli/load-chain.js';
import { cliTable } from '../src/cli/render.js';
import { runPartitionChecks } from '../src/etl/check.js';
import { EtlRequest, type ExtractResult } from '../src/etl/contracts.js';
import { writeDashboard } from '../src/etl/dashboard.js';
import { runExtract } from '../src/etl/extract.js';
import { generateJaffle, loadJaffle } from '../src/etl/jaffle.js';
import { planEtl, type ReadChain } from '../src/etl/plan.js';
import { startPgliteSource, withSource } from '../src/etl/source.js';
import { DBT_PROJECT, runDbt, type TransformResult } from '../src/etl/transform.js';
import { field } from '../src/field.js';
import { FailureType } from '../src/identity/failures.js';
import { expandRange } from '../src/identity/index.js';
import { backfillProgress, startBackfill } from '../src/temporal/backfills.js';
import { connectClient } from '../src/temporal/connection.js';
import { resolveServer } from '../src/temporal/devserver.js';
import { bundleOptions } from '../src/temporal/bundle.js';
import { createWorker } from '../src/worker.js';
import { startPrivatePostgres } from '../test/etl/postgres.js';
import { MART_FINGERPRINTS, martFingerprints } from '../test/etl/marts.js';

const EXAMPLE = fileURLToPath(new URL('../examples/warehouse-etl.yaml', import.meta.url));
const AGENTS_FILE = fileURLToPath(new URL('../agents.yaml', import.meta.url));
const TARGET_RATIO = 1.15;

const FLAGS = {
  rounds: { type: 'string', default: '2' },
  days: { type: 'string', default: '90' },
  'max-concurrent': { type: 'string', default: '4' },
  source: { type: 'string', default: 'postgres' },
  'ends-on': { type: 'string', default: '2026-09-30' },
} as const;

interface Options {
  readonly rounds: number;
  readonly days: number;
  readonly maxConcurrent: number;
  readonly source: 'postgres' | 'pglite';
  readonly endsOn: string;
}

class UsageError extends Error {}

function parseOptions(): Options {
  let values: Record<keyof typeof FLAGS, string>;
  try {
    ({ values } = parseArgs({ options: FLAGS, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const int = (name: keyof typeof FLAGS, min: number): number => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < min)
      throw new UsageError(`--${name}: expected an integer ≥ ${min}, got ${values[name]}`);
    return n;
  };
  if (values.source !== 'postgres' && values.source !== 'pglite') {
    throw new UsageError(`--source: expected postgres or pglite, got ${values.source}`);
  }
  if (!/^\d{4}-\d{2}-\d{2}$/.test(values['ends-on'])) {
    throw new UsageError(`--ends-on: expected YYYY-MM-DD, got ${values['ends-on']}`);
  }
  return {
    rounds: int('rounds', 1),
    days: int('days', 1),
    maxConcurrent: int('max-concurrent', 1),
    source: values.source,
    endsOn: values['ends-on'],
  };
}

/** The stages of warehouse-etl, by the agent each handoff goes to. */
const STAGES = ['plan', 'extract', 'transform', 'check', 'publish'] as const;
type Stage = (typeof STAGES)[number];
const STAGE_OF_AGENT: Readonly<Record<string, Stage>> = {
  stream: 'plan',
  extract: 'extract',
  transform: 'transform',
  radar: 'check',
  publish: 'publish',
};

type SideName = 'ours' | 'baseline';

/** What one side of one round did and how long it took. */
interface SideRun {
  readonly side: SideName;
  readonly wallMs: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly rowsExtracted: number;
  readonly factRows: number;
  /** Stage → ms per partition (one entry per partition that ran the stage). */
  readonly stageMs: Record<Stage, number[]>;
  /** Attempts beyond the first, summed over every stage of every partition (CursorMoved, warehouse waits). */
  readonly retries: number;
  readonly maxHistory?: { readonly events: number; readonly workflowId: string };
  readonly rssPeak: number;
  readonly treeRssPeak: number;
  readonly fingerprints: Record<string, string>;
}

/** A fresh database per side and round, holding the shop; `drop` removes it. */
interface ShopDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

interface BenchSource {
  readonly label: string;
  fresh(name: string): Promise<ShopDatabase>;
}

/** Everything started here, stopped newest first at the end, on error and on Ctrl-C. */
const cleanups: (() => Promise<void>)[] = [];
/** Ends waits and kills dbt (its own process group) in the baseline when interrupted. */
const interrupt = new AbortController();
let activeWorker: Worker | undefined;
let cleaning: Promise<void> | undefined;

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const fn of cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch (err) {
        console.error(`cleanup: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  })();
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping the worker, dbt, the servers`);
    interrupt.abort();
    if (activeWorker?.getState() === 'RUNNING') activeWorker.shutdown();
    // The worker's grace period (2 s here) ends its activities, whose dbt is then killed with its group.
    void new Promise((r) => setTimeout(r, 3000)).then(cleanup).finally(() => process.exit(130));
  });
}

/** Peak RSS of this process and of its whole process tree (PostgreSQL, the dev server, dbt), sampled. */
function sampleRss(): { stop(): { rss: number; tree: number } } {
  let rss = process.memoryUsage.rss();
  let tree = treeRss();
  const timer = setInterval(() => {
    rss = Math.max(rss, process.memoryUsage.rss());
    tree = Math.max(tree, treeRss());
  }, 250);
  return {
    stop() {
      clearInterval(timer);
      return { rss: Math.max(rss, process.memoryUsage.rss()), tree };
    },
  };
}

/** Resident bytes of this process and all its descendants, from /proc (NaN where there is none). */
function treeRss(): number {
  try {
    const children = new Map<number, number[]>();
    const resident = new Map<number, number>();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        // The command may hold spaces and parentheses: the fields after the last ')' are fixed.
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        const pages = Number(readFileSync(`/proc/${entry}/statm`, 'utf8').split(' ')[1]);
        const pid = Number(entry);
        resident.set(pid, pages * 4096);
        children.set(ppid, [...(children.get(ppid) ?? []), pid]);
      } catch {
        // gone meanwhile
      }
    }
    let total = 0;
    const stack = [process.pid];
    while (stack.length > 0) {
      const pid = stack.pop() ?? 0;
      total += resident.get(pid) ?? 0;
      stack.push(...(children.get(pid) ?? []));
    }
    return total;
  } catch {
    return NaN;
  }
}

async function openSource(options: Options): Promise<BenchSource> {
  const env = process.env.SOURCE_DATABASE_URL;
  if (options.source === 'pglite') {
    return {
      label: 'embedded PGlite over TCP (one per side and round)',
      async fresh() {
        const db = await startPgliteSource();
        return { url: db.url, drop: () => db.close() };
      },
    };
  }
  let base: string;
  let label: string;
  if (env !== undefined && env !== '') {
    base = env;
    label = 'PostgreSQL from SOURCE_DATABASE_URL';
  } else {
    const cluster = await startPrivatePostgres();
    cleanups.push(() => cluster.stop());
    base = cluster.url;
    const version = await withSource(base, (c) =>
      c.query<{ v: string }>("SELECT current_setting('server_version') AS v"),
    );
    label = `private PostgreSQL ${version.rows[0]?.v ?? '?'}`;
  }
  return {
    label: `${label} (a database per side and round)`,
    async fresh(name) {
      await withSource(base, (c) => c.query(`CREATE DATABASE ${name}`));
      const url = new URL(base);
      url.pathname = `/${name}`;
      const drop = (): Promise<unknown> =>
        withSource(base, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
      return { url: url.toString(), drop: async () => void (await drop()) };
    },
  };
}

/** The Temporal side's fixed parts: server, client, worker connection, bundle; one worker per side and round. */
interface Ours {
  readonly client: Client;
  readonly connection: NativeConnection;
  readonly namespace: string;
  readonly bundle: { code: string };
  readonly agentsYaml: string;
}

async function runOurs(
  ours: Ours,
  url: string,
  payload: Record<string, unknown>,
  partitions: readonly string[],
  options: Options,
  tag: string,
): Promise<SideRun> {
  const outDir = await mkdtemp(join(tmpdir(), 'bench-etl-ours-'));
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, SOURCE_DATABASE_URL: url };
    const taskQueue = `bench-etl-${tag}`;
    const worker = await createWorker({
      connection: ours.connection,
      namespace: ours.namespace,
      taskQueue,
      agents: new AgentRegistry(parseAgentsFile(ours.agentsYaml, 'agents.yaml', env)),
      outDir,
      env,
      shutdownGraceMs: 2000,
      workflowBundle: ours.bundle,
    });
    activeWorker = worker;
    const rss = sampleRss();
    let wallMs = 0;
    const backfillId = `backfill/warehouse-etl/bench-${tag}`;
    await worker.runUntil(async () => {
      const started = performance.now();
      const { handle } = await startBackfill(ours.client, {
        flow: 'warehouse-etl',
        payload,
        partitions: { list: [...partitions] },
        mode: 'all',
        maxConcurrent: options.maxConcurrent,
        id: backfillId,
        taskQueue,
      });
      await handle.result();
      wallMs = performance.now() - started;
    });
    activeWorker = undefined;
    const memory = rss.stop();

    const { progress } = await backfillProgress(ours.client, backfillId);
    const stageMs = emptyStages();
    let rowsExtracted = 0;
    let factRows = 0;
    let retries = 0;
    let maxHistory = {
      events: (await ours.client.workflow.getHandle(backfillId).describe()).historyLength,
      workflowId: backfillId,
    };
    for (const p of progress.partitions) {
      const { outcome, description } = await loadChain(ours.client, p.workflowId);
      if (description.historyLength > maxHistory.events) {
        maxHistory = { events: description.historyLength, workflowId: p.workflowId };
      }
      for (const h of outcome.state?.handoffs ?? []) {
        const stage = STAGE_OF_AGENT[h.to];
        const ms = Date.parse(h.finishedAt ?? '') - Date.parse(h.startedAt ?? '');
        if (stage !== undefined && Number.isFinite(ms)) stageMs[stage].push(ms);
        retries += Math.max(0, h.attempts - 1);
        if (h.to === 'extract') rowsExtracted += extractedRows(h.output);
        if (h.to === 'transform') factRows += factRowsOf(h.output);
      }
    }
    return {
      side: 'ours',
      wallMs,
      succeeded: progress.counts.succeeded,
      failed: progress.requested - progress.counts.succeeded,
      rowsExtracted,
      factRows,
      stageMs,
      retries,
      maxHistory,
      rssPeak: memory.rss,
      treeRssPeak: memory.tree,
      fingerprints: await martFingerprints(join(outDir, 'warehouse.duckdb')),
    };
  } finally {
    activeWorker = undefined;
    await rm(outDir, { recursive: true, force: true });
  }
}

function extractedRows(output: unknown): number {
  const tables = field(output, 'tables');
  return Array.isArray(tables) ? tables.reduce((n: number, t: unknown) => n + Number(field(t, 'rows') ?? 0), 0) : 0;
}

function factRowsOf(output: unknown): number {
  const models: unknown = field(output, 'models');
  const fact: unknown = Array.isArray(models)
    ? models.find((m: unknown) => field(m, 'model') === 'fct_sales')
    : undefined;
  return Number(field(fact, 'rows') ?? 0);
}

function emptyStages(): Record<Stage, number[]> {
  return { plan: [], extract: [], transform: [], check: [], publish: [] };
}

/** The request names no `*_from` chain, so a plain script has none to read. */
const noChains = (workflowId: string): Promise<ReadChain> =>
  Promise.reject(new Error(`the baseline reads no chains (asked for ${workflowId})`));

/** How often a plain script retries an extract that found the cursor moved by a concurrent one (ours: 5 attempts). */
const BASELINE_EXTRACT_ATTEMPTS = 5;

/**
 * The plain script: the same stage functions the built-in agents call, per partition, `maxConcurrent` partitions
 * at a time; the stage functions serialize the warehouse file within this process, as they do in the worker.
 */
async function runBaseline(
  url: string,
  payload: Record<string, unknown>,
  partitions: readonly string[],
  options: Options,
): Promise<SideRun> {
  const outDir = await mkdtemp(join(tmpdir(), 'bench-etl-baseline-'));
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, SOURCE_DATABASE_URL: url };
    const warehouse = join(outDir, 'warehouse.duckdb');
    const request = EtlRequest.parse(payload);
    const signal = interrupt.signal;
    const stageMs = emptyStages();
    let rowsExtracted = 0;
    let factRows = 0;
    let retries = 0;
    let succeeded = 0;
    let failed = 0;

    const runPartition = async (partition: string): Promise<void> => {
      const timed = async <T>(stage: Stage, fn: () => Promise<T>): Promise<T> => {
        const t0 = performance.now();
        try {
          return await fn();
        } finally {
          stageMs[stage].push(performance.now() - t0);
        }
      };
      const plan = await timed('plan', () => planEtl(request, partition, noChains));
      const extracted = await timed('extract', async (): Promise<ExtractResult> => {
        for (let attempt = 1; ; attempt++) {
          try {
            return await runExtract(plan.connectors, {
              warehouse,
              signal,
              connections: plan.connections,
              env,
              ...(plan.high_watermark !== null ? { highWatermark: plan.high_watermark } : {}),
            });
          } catch (err) {
            const moved = err instanceof ApplicationFailure && err.type === FailureType.CursorMoved;
            if (!moved || attempt >= BASELINE_EXTRACT_ATTEMPTS) throw err;
            retries++;
          }
        }
      });
      rowsExtracted += extracted.tables.reduce((n, t) => n + t.rows, 0);
      const transformed: TransformResult = await timed('transform', () =>
        runDbt({
          warehouse,
          signal,
          metrics: plan.metrics,
          projectDir: env.STREAM_COLLAB_DBT_PROJECT ?? DBT_PROJECT,
          ...(plan.partition !== null ? { partition: plan.partition } : {}),
          select: plan.marts.map((m) => `+${m}`),
        }),
      );
      factRows += transformed.models.find((m) => m.model === 'fct_sales')?.rows ?? 0;
      const checked = await timed('check', () => runPartitionChecks(plan, { warehouse, signal }));
      if (checked.summary.failed > 0) throw new Error(`${partition}: ${checked.summary.failed} checks failed`);
      await timed('publish', () =>
        writeDashboard({
          warehouse,
          dir: join(outDir, 'dashboards', `${plan.pipeline}-${plan.partition ?? 'all'}`),
          title: plan.dashboard_title,
          partition: plan.partition,
          marts: plan.marts.map((m) => `main.${m}`),
          signal,
        }),
      );
    };

    const rss = sampleRss();
    const started = performance.now();
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < partitions.length) {
        const partition = partitions[next++] ?? '';
        try {
          await runPartition(partition);
          succeeded++;
        } catch (err) {
          if (signal.aborted) throw err;
          failed++;
          console.error(`  baseline ${partition}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.maxConcurrent, partitions.length) }, lane));
    const wallMs = performance.now() - started;
    const memory = rss.stop();
    return {
      side: 'baseline',
      wallMs,
      succeeded,
      failed,
      rowsExtracted,
      factRows,
      stageMs,
      retries,
      rssPeak: memory.rss,
      treeRssPeak: memory.tree,
      fingerprints: await martFingerprints(warehouse),
    };
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const options = parseOptions();
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  try {
    const endsOn = options.endsOn;
    const from = new Date(Date.parse(`${endsOn}T00:00:00Z`) - (options.days - 1) * 86_400_000)
      .toISOString()
      .slice(0, 10);
    const partitions = expandRange(from, endsOn, 'day');
    const csv = await generateJaffle(1);
    const source = await openSource(options);

    const server = await resolveServer({ log: (line) => console.log(`[server] ${line}`) });
    cleanups.push(() => server.stop());
    const { client, close } = await connectClient(server.target);
    cleanups.push(close);
    const connection = await NativeConnection.connect(server.target.connection);
    cleanups.push(() => connection.close());
    const bundle = await bundleWorkflowCode({
      ...bundleOptions({ traced: false, encrypted: false }),
      logger: new DefaultLogger('ERROR'),
    });
    const ours: Ours = {
      client,
      connection,
      namespace: server.target.namespace,
      bundle: { code: bundle.code },
      agentsYaml: await readFile(AGENTS_FILE, 'utf8'),
    };
    const example = await readFlowInput('warehouse-etl', EXAMPLE);
    const tag = randomUUID().slice(0, 8);

    console.log(
      `warehouse-etl backfill of ${partitions.length} days (${from} … ${endsOn}) of the Jaffle Shop, ` +
        `${options.maxConcurrent} partitions at a time; source: ${source.label}; ` +
        `Temporal: ${server.target.connection.address} (${server.source}); node ${process.version}, ${cpus().length} CPUs`,
    );
    console.log(
      `${options.rounds} round(s), sides alternating (ours, baseline, baseline, ours, …); ours: one worker ` +
        `(built-in stages, agents.yaml), one backfill; baseline: the same stage functions in a plain script\n`,
    );

    const runs: { round: number; ours: SideRun; baseline: SideRun }[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      const order: SideName[] = round % 2 === 1 ? ['ours', 'baseline'] : ['baseline', 'ours'];
      const done: Partial<Record<SideName, SideRun>> = {};
      for (const side of order) {
        interrupt.signal.throwIfAborted();
        const name = `bench_etl_${tag}_r${round}_${side}`;
        const db = await source.fresh(name);
        const dropDb = (): Promise<void> => db.drop();
        cleanups.push(dropDb);
        const loaded = await withSource(db.url, (c) => loadJaffle(c, csv, { days: options.days, endsOn }));
        if (round === 1 && side === order[0]) {
          console.log(
            `shop loaded per side: ${Object.entries(loaded.rows)
              .map(([t, n]) => `${n} ${t}`)
              .join(', ')}; orders ${loaded.firstOrderAt} … ${loaded.lastOrderAt}\n`,
          );
        }
        // Its own chain ids per round (they derive from the pipeline name); the name reaches only dashboard titles.
        const payload = { ...example, pipeline: `jaffle_shop_${tag}_r${round}` };
        console.log(`round ${round}: ${side} …`);
        done[side] =
          side === 'ours'
            ? await runOurs(ours, db.url, payload, partitions, options, `${tag}-r${round}`)
            : await runBaseline(db.url, payload, partitions, options);
        console.log(`round ${round}: ${side} ${fixed((done[side]?.wallMs ?? NaN) / 1000, 1)} s`);
        await dropDb();
        cleanups.splice(cleanups.indexOf(dropDb), 1);
      }
      const { ours: o, baseline: b } = done;
      if (o === undefined || b === undefined) throw new Error(`round ${round}: a side did not run`);
      runs.push({ round, ours: o, baseline: b });
      reportRound(round, order, o, b);
    }
    reportSummary(runs, runs[0]?.ours.fingerprints ?? {});
  } finally {
    await cleanup();
  }
}

const mb = (bytes: number): string => (Number.isFinite(bytes) ? `${(bytes / 2 ** 20).toFixed(0)} MB` : '-');

function fixed(n: number, digits: number): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '-';
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const half = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[half] ?? NaN) : ((sorted[half - 1] ?? NaN) + (sorted[half] ?? NaN)) / 2;
}

const sum = (values: readonly number[]): number => values.reduce((s, x) => s + x, 0);

function reportRound(round: number, order: readonly SideName[], ours: SideRun, baseline: SideRun): void {
  const sides = order.map((s) => (s === 'ours' ? ours : baseline));
  const table = cliTable([
    'side',
    'wall s',
    'partitions ok / failed',
    'rows extracted',
    'rows/s',
    'fct_sales rows',
    'fct_sales rows/s',
    'retries',
    'largest history',
    'rss peak (this process)',
    'rss peak (process tree)',
  ]);
  for (const s of sides) {
    const wallS = s.wallMs / 1000;
    table.push([
      s.side,
      fixed(wallS, 1),
      `${s.succeeded} / ${s.failed}`,
      String(s.rowsExtracted),
      fixed(s.rowsExtracted / wallS, 0),
      String(s.factRows),
      fixed(s.factRows / wallS, 0),
      String(s.retries),
      s.maxHistory !== undefined ? `${s.maxHistory.events} events` : '-',
      mb(s.rssPeak),
      mb(s.treeRssPeak),
    ]);
  }
  const stages = cliTable(['stage', 'ours: sum s', 'ours: p50 s', 'baseline: sum s', 'baseline: p50 s']);
  for (const stage of STAGES) {
    stages.push([
      stage,
      fixed(sum(ours.stageMs[stage]) / 1000, 1),
      fixed(percentile(ours.stageMs[stage], 50) / 1000, 2),
      fixed(sum(baseline.stageMs[stage]) / 1000, 1),
      fixed(percentile(baseline.stageMs[stage], 50) / 1000, 2),
    ]);
  }
  const same = JSON.stringify(ours.fingerprints) === JSON.stringify(baseline.fingerprints);
  console.log(
    `\nround ${round} (${order.join(' first, then ')}): ours/baseline ${fixed(ours.wallMs / baseline.wallMs, 2)}×`,
  );
  console.log(table.toString());
  console.log('time per stage, per partition, from handoff records (ours) and around each call (baseline):');
  console.log(stages.toString());
  console.log(`marts: ${same ? 'the same on both sides' : 'DIFFERENT'} (${Object.keys(MART_FINGERPRINTS).join(', ')})`);
  if (!same) console.log(JSON.stringify({ ours: ours.fingerprints, baseline: baseline.fingerprints }, null, 2));
  if (ours.maxHistory !== undefined) console.log(`largest history: ${ours.maxHistory.workflowId}\n`);
}

function reportSummary(runs: readonly { ours: SideRun; baseline: SideRun }[], reference: Record<string, string>): void {
  const ratios = runs.map((r) => r.ours.wallMs / r.baseline.wallMs);
  const mid = median(ratios);
  const allSame = runs.every(
    (r) =>
      JSON.stringify(r.ours.fingerprints) === JSON.stringify(reference) &&
      JSON.stringify(r.baseline.fingerprints) === JSON.stringify(reference),
  );
  console.log(
    `\nours/baseline wall time per round: ${ratios.map((r) => `${fixed(r, 2)}×`).join(', ')}; median ${fixed(mid, 2)}× ` +
      `(target ≤ ${TARGET_RATIO}: ${mid <= TARGET_RATIO ? 'met' : 'NOT met'})`,
  );
  for (const side of ['ours', 'baseline'] as const) {
    const walls = runs.map((r) => r[side].wallMs / 1000);
    const rows = runs.map((r) => r[side].rowsExtracted / (r[side].wallMs / 1000));
    console.log(
      `${side.padEnd(8)} median wall ${fixed(median(walls), 1)} s, median ${fixed(median(rows), 0)} rows extracted/s, ` +
        `rss peak ${mb(Math.max(...runs.map((r) => r[side].rssPeak)))} (this process), ` +
        `${mb(Math.max(...runs.map((r) => r[side].treeRssPeak)))} (process tree)`,
    );
  }
  console.log(
    `marts of every side of every round the same: ${allSame ? 'yes' : 'NO'} (fct_sales ${reference.fct_sales ?? '-'})`,
  );
}

main()
  .catch((err: unknown) => {
    // Interrupted: the signal handler stops everything and exits; the worker's own complaint about it is noise.
    if (interrupt.signal.aborted) return;
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exitCode = err instanceof UsageError ? 2 : 1;
  })
  .finally(() => {
    // PGlite's socket server or a stray timer must not keep a finished benchmark alive.
    if (process.exitCode !== undefined && process.exitCode !== 0) process.exit();
  });
