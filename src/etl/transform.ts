import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { isLockConflict, withWarehouse, withWarehouseTurn } from '../agents/builtin/warehouse.js';
import { contract, nonEmpty } from '../contracts/contract.js';
import { FailureType } from '../identity/failures.js';
import type { Metric } from '../contracts/pulse-to-stream.js';
import { DBT_BIN } from './install.js';
import { writeMetricMarts } from './metric-marts.js';

/** The dbt project in this repository (staging models and the marts). */
export const DBT_PROJECT = join(resolve(dirname(fileURLToPath(import.meta.url)), '..', '..'), 'dbt');

/** Failure types of the transform stage, as ApplicationFailure `type`s. */
export const TransformFailure = {
  TransformFailed: FailureType.TransformFailed,
  TransformUnavailable: FailureType.TransformUnavailable,
} as const;

/** The part of dbt's `target/run_results.json` (schema v6) the reply is made from. */
const RunResults = z.object({
  metadata: z.object({ invocation_id: z.string() }).loose(),
  elapsed_time: z.number(),
  results: z.array(
    z
      .object({
        unique_id: z.string(),
        status: z.string(),
        execution_time: z.number(),
        message: z.string().nullable(),
        relation_name: z.string().nullable().optional(),
        adapter_response: z.object({ rows_affected: z.number().optional() }).loose().optional(),
      })
      .loose(),
  ),
});
type RunResults = z.infer<typeof RunResults>;

/** One model dbt built: its status and seconds from run_results.json, and the rows it holds for the partition. */
export const DbtModelResult = contract({
  model: nonEmpty,
  relation: z.string().nullable(),
  status: nonEmpty,
  /** Rows of the partition (models with `date_key`), or of the whole relation; null if dbt did not build it. */
  rows: z.number().int().nonnegative().nullable(),
  seconds: z.number().nonnegative(),
  message: z.string().nullable(),
});
export type DbtModelResult = z.infer<typeof DbtModelResult>;

/** The transform stage's reply: dbt's results for one partition, references only. */
export const TRANSFORM_RESULT_SHAPE = {
  partition: z.string().nullable(),
  invocation_id: nonEmpty,
  /** dbt's own elapsed time, and the wall time including waits for the warehouse lock. */
  dbt_seconds: z.number().nonnegative(),
  wall_seconds: z.number().nonnegative(),
  /** How many times dbt found the warehouse file held by another process and was started again. */
  lock_waits: z.number().int().nonnegative(),
  models: z.array(DbtModelResult),
};
export const TransformResult = contract(TRANSFORM_RESULT_SHAPE);
export type TransformResult = z.infer<typeof TransformResult>;

export interface TransformOptions {
  readonly warehouse: string;
  /** The day to build (YYYY-MM-DD), passed as `--vars '{partition: …}'`; undefined builds every day. */
  readonly partition?: string;
  /**
   * Pulse's metrics to build one mart each (`mart_<name>`): the project is copied into the run's own folder and
   * the metric models generated there, so runs with different metrics never see each other's models.
   */
  readonly metrics?: readonly Metric[];
  /** dbt `--select` arguments; default everything. */
  readonly select?: readonly string[];
  readonly signal?: AbortSignal;
  readonly projectDir?: string;
  readonly dbtBin?: string;
  /** Called each time dbt found the file held by another process and will be started again (for heartbeats, logs). */
  readonly onLockWait?: (waits: number) => void;
}

const LOCK_RETRY_MS = { first: 100, max: 2000 };

interface DbtExit {
  readonly code: number | null;
  readonly output: string;
}

/** Runs dbt in its own process group, killed as a group if `signal` aborts. */
function runDbtOnce(bin: string, args: string[], env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<DbtExit> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(bin, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-20_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const kill = (): void => {
      if (child.pid !== undefined && child.exitCode === null) {
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          // already gone
        }
      }
    };
    signal?.addEventListener('abort', kill, { once: true });
    child.once('error', (err) => {
      signal?.removeEventListener('abort', kill);
      reject(err);
    });
    child.once('close', (code) => {
      signal?.removeEventListener('abort', kill);
      resolvePromise({ code, output });
    });
  });
}

/**
 * Runs the dbt project for one partition (dbt's role) and returns dbt's own results from run_results.json, with
 * the rows each model holds for the partition. dbt opens the DuckDB file itself, so the worker must hold no
 * connection while it runs: dbt runs in this process's turn for the file (`withWarehouseTurn`, so no
 * `withWarehouse` use of this process overlaps it), and if another process holds the file dbt exits at once with
 * DuckDB's lock error before building anything; it is then started again after a jittered backoff until `signal`
 * aborts. Every run gets its own target folder, so concurrent runs never read each other's results. Models are
 * idempotent per partition (views, and marts that delete+insert their `date_key`), so a run killed half-way is
 * simply run again. A model error is a non-retryable `TransformFailed` naming the model and dbt's message.
 */
export async function runDbt(options: TransformOptions): Promise<TransformResult> {
  const started = Date.now();
  const warehouse = resolve(options.warehouse);
  const bin = options.dbtBin ?? DBT_BIN;
  if (!existsSync(bin)) {
    throw ApplicationFailure.nonRetryable(
      `dbt is not installed at ${bin}: run npm run etl:install`,
      TransformFailure.TransformFailed,
    );
  }
  const work = await mkdtemp(join(tmpdir(), 'stream-collab-dbt-'));
  let project = options.projectDir ?? DBT_PROJECT;
  if (options.metrics !== undefined) {
    const copy = join(work, 'project');
    await cp(project, copy, { recursive: true, filter: (src) => !/[/\\](target|logs|dbt_packages)$/.test(src) });
    await writeMetricMarts(options.metrics, copy);
    project = copy;
  }
  const args = [
    'run',
    '--project-dir',
    project,
    '--profiles-dir',
    project,
    '--target-path',
    join(work, 'target'),
    '--log-path',
    join(work, 'logs'),
    '--no-use-colors',
    '--no-version-check',
    '--vars',
    JSON.stringify({ partition: options.partition ?? null }),
    ...(options.select !== undefined && options.select.length > 0 ? ['--select', ...options.select] : []),
  ];
  const env = {
    ...process.env,
    STREAM_COLLAB_WAREHOUSE: warehouse,
    DBT_SEND_ANONYMOUS_USAGE_STATS: 'false',
  };
  try {
    let lockWaits = 0;
    for (let wait = LOCK_RETRY_MS.first; ; wait = Math.min(wait * 2, LOCK_RETRY_MS.max)) {
      options.signal?.throwIfAborted();
      const exit = await withWarehouseTurn(warehouse, () => runDbtOnce(bin, args, env, options.signal));
      options.signal?.throwIfAborted();
      const resultsFile = join(work, 'target', 'run_results.json');
      if (exit.code !== 0 && !existsSync(resultsFile) && isLockConflict(new Error(exit.output))) {
        lockWaits++;
        options.onLockWait?.(lockWaits);
        await sleep(wait / 2 + Math.random() * wait, undefined, options.signal ? { signal: options.signal } : {});
        continue;
      }
      if (!existsSync(resultsFile)) {
        throw ApplicationFailure.retryable(
          `dbt exited ${String(exit.code)} without results: ${exit.output.slice(-2000)}`,
          TransformFailure.TransformUnavailable,
        );
      }
      const results = RunResults.parse(JSON.parse(await readFile(resultsFile, 'utf8')));
      const failed = results.results.filter((r) => r.status === 'error');
      if (failed.length > 0) {
        throw ApplicationFailure.nonRetryable(
          `dbt models failed: ${failed.map((r) => `${r.unique_id}: ${r.message ?? ''}`).join('; ')}`,
          TransformFailure.TransformFailed,
        );
      }
      const models = await modelRows(warehouse, results, options);
      return {
        partition: options.partition ?? null,
        invocation_id: results.metadata.invocation_id,
        dbt_seconds: results.elapsed_time,
        wall_seconds: (Date.now() - started) / 1000,
        lock_waits: lockWaits,
        models,
      };
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The rows each built model holds for the partition (or in all, for models without `date_key`). */
async function modelRows(warehouse: string, results: RunResults, options: TransformOptions): Promise<DbtModelResult[]> {
  return withWarehouse({ warehouse, signal: options.signal }, async (conn) => {
    const models: DbtModelResult[] = [];
    for (const r of results.results) {
      const model = r.unique_id.split('.').pop() ?? r.unique_id;
      let rows: number | null = null;
      if (r.status === 'success' && r.relation_name !== undefined && r.relation_name !== null) {
        const columns = await conn.runAndReadAll(
          `SELECT count(*) FROM information_schema.columns WHERE table_name = $model AND column_name = 'date_key'`,
          { model },
        );
        const byDay = options.partition !== undefined && Number(columns.getRows()[0]?.[0] ?? 0) > 0;
        const count = await conn.runAndReadAll(
          `SELECT count(*) FROM ${r.relation_name}${byDay ? ' WHERE date_key = CAST($day AS DATE)' : ''}`,
          byDay ? { day: options.partition ?? '' } : {},
        );
        rows = Number(count.getRows()[0]?.[0] ?? 0);
      }
      models.push({
        model,
        relation: r.relation_name ?? null,
        status: r.status,
        rows,
        seconds: r.execution_time,
        message: r.message,
      });
    }
    return models;
  });
}
