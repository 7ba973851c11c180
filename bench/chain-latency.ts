/**
 * `npm run bench`: Pattern A chains through our service and through a minimal hand-written workflow making
 * the same two activity calls, on one Temporal server in one run, with no-op agents on both sides, so the
 * figures compare orchestration overhead only. Reports the figures; it asserts nothing.
 *
 *   npm run bench -- --chains 200 --throughput 400 --concurrency 20 [--warmup 20] [--block 20] [--breakdown 20]
 *     [--tracing on]   (our worker with the traced bundle and tracing interceptors, spans dropped: their cost)
 *     [--local on]     (a third side: our chain with every agent bound `local: true`, run as local activities)
 *     [--server dev|cluster|both]   (default both: the dev server, then a fresh `npm run cluster` topology)
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { parseAgentsFile } from '../src/agents/config.js';
import { AgentRegistry } from '../src/agents/registry.js';
import { startChain, waitChain } from '../src/temporal/chains.js';
import { connectClient } from '../src/temporal/connection.js';
import type { ResolvedServer } from '../src/temporal/devserver.js';
import { NoopSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { bundleOptions } from '../src/temporal/bundle.js';
import { registerTracing } from '../src/temporal/telemetry.js';
import { createWorker } from '../src/worker.js';
import { baselineActivities } from './baseline-activities.js';
import type { baselineChain } from './baseline-workflows.js';
import { AGENTS_YAML, CHAIN_PAYLOAD, LOCAL_AGENTS_YAML, NOOP_AGENTS } from './replies.js';
import { serverKinds, startBenchServer, type ServerKind } from './servers.js';

const BASELINE_WORKFLOWS_PATH = fileURLToPath(new URL('./baseline-workflows.ts', import.meta.url));
const TARGET_P50_RATIO = 1.15;
/** issue 7: an all-built-in chain with local handoffs at most this fraction of the remote chain's p50. */
const TARGET_LOCAL_RATIO = 0.4;

interface Options {
  readonly chains: number;
  readonly throughput: number;
  readonly concurrency: number;
  readonly warmup: number;
  readonly block: number;
  readonly breakdown: number;
  readonly tracing: boolean;
  readonly local: boolean;
  readonly servers: ServerKind[];
}

/** One way of running a chain; `run` returns its workflow id once the chain has completed. */
interface Side {
  readonly name: SideName;
  run(): Promise<string>;
}

type SideName = 'ours' | 'baseline' | 'local';

interface Phase {
  readonly latencies: number[];
  wallMs: number;
  /** CPU time of this process (client and workers) while the phase ran. */
  cpuMs: number;
  readonly ids: string[];
}

interface SideResult {
  readonly sequential: Phase;
  readonly throughput: Phase;
}

interface Measured {
  readonly ours: SideResult;
  readonly baseline: SideResult;
  readonly local?: SideResult;
  readonly breakdown?: { readonly ours: Breakdown; readonly baseline: Breakdown; readonly local?: Breakdown };
  readonly memory: NodeJS.MemoryUsage;
}

const FLAGS = {
  chains: { type: 'string', default: '200' },
  throughput: { type: 'string', default: '400' },
  concurrency: { type: 'string', default: '20' },
  warmup: { type: 'string', default: '20' },
  block: { type: 'string', default: '20' },
  breakdown: { type: 'string', default: '20' },
  tracing: { type: 'string', default: 'off' },
  local: { type: 'string', default: 'off' },
  server: { type: 'string', default: 'both' },
} as const;

function parseOptions(): Options {
  let values: Record<keyof typeof FLAGS, string>;
  try {
    ({ values } = parseArgs({ options: FLAGS, strict: true, allowPositionals: false }));
  } catch (err) {
    // An unknown or malformed flag is a usage error (exit 2), not a failed run.
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const int = (name: keyof typeof FLAGS, min: number): number => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < min) {
      throw new UsageError(`--${name}: expected an integer ≥ ${min}, got ${values[name]}`);
    }
    return n;
  };
  if (values.tracing !== 'on' && values.tracing !== 'off') {
    throw new UsageError(`--tracing: expected on or off, got ${values.tracing}`);
  }
  if (values.local !== 'on' && values.local !== 'off') {
    throw new UsageError(`--local: expected on or off, got ${values.local}`);
  }
  let servers: ServerKind[];
  try {
    servers = serverKinds(values.server);
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  return {
    servers,
    tracing: values.tracing === 'on',
    local: values.local === 'on',
    chains: int('chains', 1),
    throughput: int('throughput', 1),
    concurrency: int('concurrency', 1),
    warmup: int('warmup', 0),
    block: int('block', 1),
    breakdown: int('breakdown', 0),
  };
}

class UsageError extends Error {}

async function main(): Promise<void> {
  const options = parseOptions();
  // Before anything touches the native runtime (the dev server included), so SDK INFO logs stay out.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const results: { label: string; measured: Measured }[] = [];
  // One server at a time, so neither competes with the other for the two cores.
  for (const kind of options.servers) {
    const server = await startBenchServer(kind);
    results.push({ label: server.label, measured: await benchOn(server, options) });
  }
  if (results.length > 1) sideBySide(results);
}

/** Both sides of the benchmark on one server, reported; the server is stopped at the end. */
async function benchOn(server: ResolvedServer, options: Options): Promise<Measured> {
  const cleanups: (() => Promise<void>)[] = [];
  try {
    cleanups.push(() => server.stop());
    const [oursBundle, baselineBundle] = await Promise.all([
      bundleWorkflowCode({ ...bundleOptions({ traced: options.tracing, encrypted: false }), logger: quietLogger }),
      bundleWorkflowCode({ workflowsPath: BASELINE_WORKFLOWS_PATH, logger: quietLogger }),
    ]);
    const { client, close } = await connectClient(server.target);
    cleanups.push(close);
    const outDir = await mkdtemp(join(tmpdir(), 'stream-collab-bench-'));
    cleanups.push(() => rm(outDir, { recursive: true, force: true }));

    const tag = randomUUID().slice(0, 8);
    const oursQueue = `bench-ours-${tag}`;
    const baselineQueue = `bench-baseline-${tag}`;
    // One worker connection each, as two separately deployed workers would have.
    const oursConnection = await NativeConnection.connect(server.target.connection);
    cleanups.push(() => oursConnection.close());
    const baselineConnection = await NativeConnection.connect(server.target.connection);
    cleanups.push(() => baselineConnection.close());
    const oursWorker = await createWorker({
      connection: oursConnection,
      namespace: server.target.namespace,
      taskQueue: oursQueue,
      agents: new AgentRegistry(parseAgentsFile(AGENTS_YAML, 'bench agents.yaml')),
      outDir,
      builtins: NOOP_AGENTS,
      ...(options.tracing ? { tracing: await registerTracing(new NoopSpanProcessor(), 'nowhere', 'bench') } : {}),
      workflowBundle: { code: oursBundle.code },
    });
    const localQueue = `bench-local-${tag}`;
    const localConnection = await NativeConnection.connect(server.target.connection);
    cleanups.push(() => localConnection.close());
    const localWorker = await createWorker({
      connection: localConnection,
      namespace: server.target.namespace,
      taskQueue: localQueue,
      agents: new AgentRegistry(parseAgentsFile(LOCAL_AGENTS_YAML, 'bench local agents.yaml')),
      outDir,
      builtins: NOOP_AGENTS,
      workflowBundle: { code: oursBundle.code },
    });
    const baselineWorker = await Worker.create({
      connection: baselineConnection,
      namespace: server.target.namespace,
      taskQueue: baselineQueue,
      activities: baselineActivities,
      workflowBundle: { code: baselineBundle.code },
    });

    let n = 0;
    const chainSide = (name: 'ours' | 'local', taskQueue: string): Side => ({
      name,
      async run() {
        const id = `bench-${name}-${tag}-${++n}`;
        const { handle } = await startChain(client, 'schema-to-pipeline', CHAIN_PAYLOAD, { id, taskQueue });
        const outcome = await waitChain(handle);
        if (outcome.status !== 'COMPLETED')
          throw new Error(`chain ${id} ${outcome.status}: ${outcome.failure?.message}`);
        return id;
      },
    });
    const ours = chainSide('ours', oursQueue);
    const local = options.local ? chainSide('local', localQueue) : undefined;
    const baseline: Side = {
      name: 'baseline',
      async run() {
        const id = `bench-baseline-${tag}-${++n}`;
        const handle = await client.workflow.start<typeof baselineChain>('baselineChain', {
          taskQueue: baselineQueue,
          workflowId: id,
          args: [CHAIN_PAYLOAD],
        });
        const result = await handle.result();
        if (result.connectors !== 1) throw new Error(`baseline ${id}: expected 1 connector, got ${result.connectors}`);
        return id;
      },
    };

    console.log(
      `server: ${server.target.connection.address} (${server.source}) · node ${process.version} · ${cpus().length} CPUs`,
    );
    console.log(
      `Pattern A (schema → stream → builder), no-op agents; warm-up ${options.warmup} sequential + ${options.warmup} at ` +
        `concurrency ${options.concurrency} per side; ${options.chains} sequential and ${options.throughput} at ` +
        `concurrency ${options.concurrency} per side, in alternating blocks of ${options.block} (sequential) and ` +
        `${throughputBlock(options)} (throughput)${options.tracing ? '; ours with tracing on (spans dropped)' : ''}` +
        `${local !== undefined ? '; a third side "local": ours with every agent bound local: true' : ''}`,
    );
    // All workers poll for the whole run, so none gets the machine to itself (the local one idles without --local).
    const measured = await oursWorker.runUntil(() =>
      baselineWorker.runUntil(() => localWorker.runUntil(() => measure(client, ours, baseline, local, options))),
    );
    report(measured, options);
    return measured;
  } finally {
    // Workers are stopped by runUntil; then connections, the out dir and the server, newest first.
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (err) {
        console.error(`cleanup: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
}

async function measure(
  client: Client,
  ours: Side,
  baseline: Side,
  local: Side | undefined,
  options: Options,
): Promise<Measured> {
  const sides = local !== undefined ? [ours, baseline, local] : [ours, baseline];
  for (const side of sides) {
    await runPhase(side, options.warmup, 1);
    await runPhase(side, options.warmup, options.concurrency);
  }
  const results: Record<SideName, SideResult> = {
    ours: { sequential: emptyPhase(), throughput: emptyPhase() },
    baseline: { sequential: emptyPhase(), throughput: emptyPhase() },
    local: { sequential: emptyPhase(), throughput: emptyPhase() },
  };
  // Rotate which side goes first in each round of blocks, so drift and ordering effects hit all alike.
  const interleave = async (total: number, block: number, concurrency: number, phase: 'sequential' | 'throughput') => {
    for (let done = 0, b = 0; done < total; done += block, b++) {
      const count = Math.min(block, total - done);
      const shift = b % sides.length;
      for (const side of [...sides.slice(shift), ...sides.slice(0, shift)]) {
        merge(results[side.name][phase], await runPhase(side, count, concurrency));
      }
    }
  };
  await interleave(options.chains, options.block, 1, 'sequential');
  // A throughput block needs several waves at full concurrency, or ramp-up and drain dominate it.
  await interleave(
    options.throughput,
    Math.max(options.block, options.concurrency * 5),
    options.concurrency,
    'throughput',
  );
  const memory = process.memoryUsage();
  const measured = {
    ours: results.ours,
    baseline: results.baseline,
    ...(local !== undefined ? { local: results.local } : {}),
    memory,
  };
  if (options.breakdown === 0) return measured;
  const breakdownOf = async (name: SideName): Promise<Breakdown> => {
    const phase = results[name].sequential;
    const b = await breakdown(client, sample(phase.ids, options.breakdown));
    b.clientMs.push(...b.ids.map((id) => phase.latencies[phase.ids.indexOf(id)] ?? NaN));
    return b;
  };
  const [oursBreakdown, baselineBreakdown, localBreakdown] = await Promise.all([
    breakdownOf('ours'),
    breakdownOf('baseline'),
    local !== undefined ? breakdownOf('local') : undefined,
  ]);
  return {
    ...measured,
    breakdown: {
      ours: oursBreakdown,
      baseline: baselineBreakdown,
      ...(localBreakdown !== undefined ? { local: localBreakdown } : {}),
    },
  };
}

/** A throughput block needs several waves at full concurrency, or ramp-up and drain dominate it. */
function throughputBlock(options: Options): number {
  return Math.max(options.block, options.concurrency * 5);
}

function emptyPhase(): Phase {
  return { latencies: [], wallMs: 0, cpuMs: 0, ids: [] };
}

function merge(into: Phase, from: Phase): void {
  into.latencies.push(...from.latencies);
  into.ids.push(...from.ids);
  into.wallMs += from.wallMs;
  into.cpuMs += from.cpuMs;
}

/** Runs `count` chains, at most `concurrency` at a time; latency is start → result of each chain. */
async function runPhase(side: Side, count: number, concurrency: number): Promise<Phase> {
  const phase = emptyPhase();
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      next++;
      const t0 = performance.now();
      const id = await side.run();
      phase.latencies.push(performance.now() - t0);
      phase.ids.push(id);
    }
  };
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  phase.wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  phase.cpuMs = (cpu.user + cpu.system) / 1000;
  return phase;
}

/** Where a chain's time goes, from its history's event times (server clock), in ms, one entry per chain. */
interface Breakdown {
  readonly ids: string[];
  readonly clientMs: number[];
  readonly serverMs: number[];
  readonly workflowTasks: number[];
  readonly wftQueueMs: number[];
  readonly wftRunMs: number[];
  readonly firstWftRunMs: number[];
  readonly activityQueueMs: number[];
  readonly activityRunMs: number[];
  readonly markers: number[];
  readonly events: number[];
  readonly payloadBytes: number[];
}

type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;
type HistoryEvent = NonNullable<History['events']>[number];

async function breakdown(client: Client, ids: readonly string[]): Promise<Breakdown> {
  const b: Breakdown = {
    ids: [...ids],
    clientMs: [],
    serverMs: [],
    workflowTasks: [],
    wftQueueMs: [],
    wftRunMs: [],
    firstWftRunMs: [],
    activityQueueMs: [],
    activityRunMs: [],
    markers: [],
    events: [],
    payloadBytes: [],
  };
  for (const id of ids) {
    const history = await client.workflow.getHandle(id).fetchHistory();
    const events = history.events ?? [];
    let wftScheduled = NaN;
    let wftStarted = NaN;
    const wftRuns: number[] = [];
    let wftQueue = 0;
    const activityScheduled = new Map<string, number>();
    const activityStarted = new Map<string, number>();
    let activityQueue = 0;
    let activityRun = 0;
    let markers = 0;
    for (const event of events) {
      const at = eventMs(event);
      if (event.workflowTaskScheduledEventAttributes) wftScheduled = at;
      else if (event.workflowTaskStartedEventAttributes) {
        wftStarted = at;
        wftQueue += at - wftScheduled;
      } else if (event.workflowTaskCompletedEventAttributes) wftRuns.push(at - wftStarted);
      else if (event.activityTaskScheduledEventAttributes) activityScheduled.set(String(event.eventId), at);
      else if (event.activityTaskStartedEventAttributes) {
        const key = String(event.activityTaskStartedEventAttributes.scheduledEventId);
        activityStarted.set(key, at);
        activityQueue += at - (activityScheduled.get(key) ?? at);
      } else if (event.activityTaskCompletedEventAttributes) {
        activityRun +=
          at - (activityStarted.get(String(event.activityTaskCompletedEventAttributes.scheduledEventId)) ?? at);
      } else if (event.markerRecordedEventAttributes) markers++;
    }
    const first = events[0];
    const last = events[events.length - 1];
    b.serverMs.push(first !== undefined && last !== undefined ? eventMs(last) - eventMs(first) : NaN);
    b.workflowTasks.push(wftRuns.length);
    b.wftQueueMs.push(wftQueue);
    b.wftRunMs.push(wftRuns.reduce((s, x) => s + x, 0));
    b.firstWftRunMs.push(wftRuns[0] ?? NaN);
    b.activityQueueMs.push(activityQueue);
    b.activityRunMs.push(activityRun);
    b.markers.push(markers);
    b.events.push(events.length);
    b.payloadBytes.push(byteLength(events));
  }
  return b;
}

function eventMs(event: HistoryEvent): number {
  const t = event.eventTime;
  return t ? Number(t.seconds ?? 0) * 1000 + (t.nanos ?? 0) / 1e6 : NaN;
}

/** Bytes of every binary field (payload data and metadata) in the events: what the chain puts in history. */
function byteLength(value: unknown): number {
  if (value instanceof Uint8Array) return value.byteLength;
  if (typeof value !== 'object' || value === null) return 0;
  return Object.values(value).reduce((sum: number, v: unknown) => sum + byteLength(v), 0);
}

/** `count` ids spread evenly over the list. */
function sample(ids: readonly string[], count: number): string[] {
  if (ids.length <= count) return [...ids];
  return Array.from({ length: count }, (_, i) => ids[Math.floor((i * ids.length) / count)]).filter(
    (id): id is string => id !== undefined,
  );
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  // Nearest rank: the smallest value with at least p% of the samples at or below it.
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? NaN : values.reduce((s, x) => s + x, 0) / values.length;
}

function report(m: Measured, options: Options): void {
  const rows: string[][] = [
    ['phase', 'side', 'chains', 'p50 ms', 'p95 ms', 'mean ms', 'chains/s', 'CPU ms/chain (this process)'],
  ];
  for (const phase of ['sequential', 'throughput'] as const) {
    for (const side of ['ours', 'baseline', 'local'] as const) {
      const p = m[side]?.[phase];
      if (p === undefined) continue;
      rows.push([
        phase === 'sequential' ? 'sequential' : `throughput c=${options.concurrency}`,
        side,
        String(p.latencies.length),
        fixed(percentile(p.latencies, 50), 1),
        fixed(percentile(p.latencies, 95), 1),
        fixed(mean(p.latencies), 1),
        fixed(p.latencies.length / (p.wallMs / 1000), 1),
        fixed(p.cpuMs / p.latencies.length, 1),
      ]);
    }
  }
  console.log();
  printTable(rows, 2);

  const ratio = (f: (r: SideResult) => number) => f(m.ours) / f(m.baseline);
  const p50 = ratio((r) => percentile(r.sequential.latencies, 50));
  const p95 = ratio((r) => percentile(r.sequential.latencies, 95));
  const rate = ratio((r) => r.throughput.latencies.length / r.throughput.wallMs);
  const loadedP50 = ratio((r) => percentile(r.throughput.latencies, 50));
  console.log();
  console.log(
    `ours/baseline: p50 ${fixed(p50, 2)}×, p95 ${fixed(p95, 2)}× (sequential); ` +
      `throughput ${fixed(rate, 2)}×, p50 under load ${fixed(loadedP50, 2)}×`,
  );
  console.log(`target p50 ratio ≤ ${TARGET_P50_RATIO}: ${p50 <= TARGET_P50_RATIO ? 'met' : 'NOT met'}`);
  if (m.local !== undefined) {
    const localP50 = percentile(m.local.sequential.latencies, 50) / percentile(m.ours.sequential.latencies, 50);
    const localRate =
      m.local.throughput.latencies.length /
      m.local.throughput.wallMs /
      (m.ours.throughput.latencies.length / m.ours.throughput.wallMs);
    console.log(
      `local/ours: p50 ${fixed(localP50, 2)}× (sequential), throughput ${fixed(localRate, 2)}×; ` +
        `target p50 ≤ ${TARGET_LOCAL_RATIO}×: ${localP50 <= TARGET_LOCAL_RATIO ? 'met' : 'NOT met'}`,
    );
  }

  if (m.breakdown !== undefined) {
    const { ours, baseline, local } = m.breakdown;
    const shown = local !== undefined ? [ours, baseline, local] : [ours, baseline];
    console.log();
    console.log(
      `where the time goes: median per chain over ${shown.map((b) => b.ids.length).join(' + ')} sequential chains, ` +
        'from history event times (ms unless noted)',
    );
    const line = (label: string, pick: (b: Breakdown) => number[], digits = 1): string[] => [
      label,
      ...shown.map((b) => fixed(percentile(pick(b), 50), digits)),
    ];
    printTable(
      [
        ['', 'ours', 'baseline', ...(local !== undefined ? ['local'] : [])],
        line('client: start → result', (b) => b.clientMs),
        line('server: first → last event', (b) => b.serverMs),
        line('client overhead (start RPC, result poll)', (b) => b.clientMs.map((c, i) => c - (b.serverMs[i] ?? NaN))),
        line('workflow tasks (count)', (b) => b.workflowTasks, 0),
        line('  queue wait, all WFTs', (b) => b.wftQueueMs),
        line('  worker run, all WFTs', (b) => b.wftRunMs),
        line('  worker run, first WFT', (b) => b.firstWftRunMs),
        line('activity queue wait, all', (b) => b.activityQueueMs),
        line('activity run, all', (b) => b.activityRunMs),
        line('markers (local activities)', (b) => b.markers, 0),
        line('history events', (b) => b.events, 0),
        line('history payload bytes', (b) => b.payloadBytes, 0),
      ],
      1,
    );
  }

  const mb = (bytes: number) => `${fixed(bytes / 2 ** 20, 1)} MB`;
  const { rss, heapUsed, heapTotal, external } = m.memory;
  console.log();
  console.log(
    `memory (this process: client and both workers): rss ${mb(rss)}, heap ${mb(heapUsed)} used of ${mb(heapTotal)}, ` +
      `external ${mb(external)}, peak rss ${mb(process.resourceUsage().maxRSS * 1024)}`,
  );
}

/** The headline figures of each server in one table: ours and the hand-written baseline on each. */
function sideBySide(results: readonly { label: string; measured: Measured }[]): void {
  const rows: string[][] = [
    ['server', 'side', 'seq p50 ms', 'seq p95 ms', 'chains/s', 'p50 under load ms', 'ours/baseline p50'],
  ];
  for (const { label, measured } of results) {
    for (const side of ['ours', 'baseline', 'local'] as const) {
      const r = measured[side];
      if (r === undefined) continue;
      const p50 = percentile(r.sequential.latencies, 50);
      rows.push([
        label,
        side,
        fixed(p50, 1),
        fixed(percentile(r.sequential.latencies, 95), 1),
        fixed(r.throughput.latencies.length / (r.throughput.wallMs / 1000), 1),
        fixed(percentile(r.throughput.latencies, 50), 1),
        side === 'ours' ? `${fixed(p50 / percentile(measured.baseline.sequential.latencies, 50), 2)}×` : '',
      ]);
    }
  }
  console.log();
  console.log('side by side:');
  printTable(rows, 2);
}

/** Label columns left-aligned, figures right-aligned. */
function printTable(rows: readonly string[][], labelColumns: number): void {
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((r) => (r[col] ?? '').length))) ?? [];
  for (const row of rows) {
    const cells = row.map((cell, col) =>
      col < labelColumns ? cell.padEnd(widths[col] ?? 0) : cell.padStart(widths[col] ?? 0),
    );
    console.log(cells.join('  '));
  }
}

function fixed(n: number, digits: number): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '-';
}

const noop = (): void => undefined;
const quietLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: console.error };

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exitCode = err instanceof UsageError ? 2 : 1;
});
