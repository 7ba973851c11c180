import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseAgentsFile } from '../src/agents/config.js';
import { AgentRegistry } from '../src/agents/registry.js';
import { startChain, waitChain } from '../src/temporal/chains.js';
import {
  metricsAddressFromEnv,
  registerTracing,
  startTracing,
  TelemetryConfigError,
  tracesUrlFromEnv,
} from '../src/temporal/telemetry.js';
import { createWorker } from '../src/worker.js';
import { ROOT } from './cli-process.js';
import { agentsYaml, eventually, unique, waitFor } from './helpers.js';

/**
 * The worker as `npm run worker` runs it (dist/worker.js, built by `npm test`'s pretest), in its own process:
 * the Temporal runtime, and so the Prometheus endpoint, is one per process and is installed by the worker itself.
 */

interface OtlpSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly service: unknown;
}

/** A real OTLP/HTTP collector on 127.0.0.1 that keeps every span it is sent (the exporter speaks JSON). */
async function startCollector(): Promise<{ url: string; spans: OtlpSpan[]; close: () => Promise<void> }> {
  const spans: OtlpSpan[] = [];
  const server: Server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/v1/traces') spans.push(...otlpSpans(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

/** The spans of an OTLP JSON ExportTraceServiceRequest, with attributes as a plain record. */
function otlpSpans(body: unknown): OtlpSpan[] {
  const out: OtlpSpan[] = [];
  for (const rs of list(body, 'resourceSpans')) {
    const resource = attributes(list(get(rs, 'resource'), 'attributes'));
    for (const ss of list(rs, 'scopeSpans')) {
      for (const s of list(ss, 'spans')) {
        const parent = get(s, 'parentSpanId');
        out.push({
          traceId: String(get(s, 'traceId')),
          spanId: String(get(s, 'spanId')),
          ...(typeof parent === 'string' && parent !== '' ? { parentSpanId: parent } : {}),
          name: String(get(s, 'name')),
          attributes: attributes(list(s, 'attributes')),
          service: resource['service.name'],
        });
      }
    }
  }
  return out;
}

function get(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? Reflect.get(value, key) : undefined;
}

function list(value: unknown, key: string): unknown[] {
  const v = get(value, key);
  return Array.isArray(v) ? v : [];
}

function attributes(kvs: unknown[]): Record<string, unknown> {
  return Object.fromEntries(
    kvs.map((kv) => {
      const value = get(kv, 'value');
      return [String(get(kv, 'key')), get(value, 'stringValue') ?? get(value, 'intValue') ?? get(value, 'boolValue')];
    }),
  );
}

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((ok) => server.close(() => ok()));
  return port;
}

interface WorkerProcess {
  readonly child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

/** `node dist/worker.js` in its own process group, so stopping it stops everything it started. */
function spawnWorker(env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'worker.js')], {
    cwd: ROOT,
    detached: true,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_NAMESPACE: inject('temporalNamespace'),
      ...env,
    },
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((ok) => child.on('exit', (code) => ok(code)));
  return { child, output: () => output, exited };
}

function stopGroup(worker: WorkerProcess): void {
  if (worker.child.pid !== undefined && worker.child.exitCode === null) process.kill(-worker.child.pid, 'SIGTERM');
}

describe('telemetry settings', () => {
  it('are off unless configured', () => {
    expect(metricsAddressFromEnv({})).toBeUndefined();
    expect(metricsAddressFromEnv({ STREAM_COLLAB_METRICS: '' })).toBeUndefined();
    expect(tracesUrlFromEnv({})).toBeUndefined();
    expect(tracesUrlFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' })).toBe(
      undefined,
    );
    expect(tracesUrlFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' })).toBe(
      undefined,
    );
  });

  it('follow the OpenTelemetry variables for where traces go', () => {
    expect(tracesUrlFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toBe(
      'http://collector:4318/v1/traces',
    );
    expect(
      tracesUrlFromEnv({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/otlp',
      }),
    ).toBe('https://traces.example/otlp');
    expect(() => tracesUrlFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(TelemetryConfigError);
  });

  it('take an IP address and port for the metrics endpoint', () => {
    expect(metricsAddressFromEnv({ STREAM_COLLAB_METRICS: '0.0.0.0:9464' })).toBe('0.0.0.0:9464');
    expect(metricsAddressFromEnv({ STREAM_COLLAB_METRICS: '[::1]:9464' })).toBe('[::1]:9464');
    for (const bad of ['localhost:9464', '9464', '127.0.0.1:99999', '127.0.0.1']) {
      expect(() => metricsAddressFromEnv({ STREAM_COLLAB_METRICS: bad }), bad).toThrow(TelemetryConfigError);
    }
  });

  it('that cannot be used stop the worker with exit 2 before it connects', async () => {
    const worker = spawnWorker({ STREAM_COLLAB_METRICS: 'localhost:9464', AGENTS_FILE: join(ROOT, 'agents.yaml') });
    expect(await worker.exited).toBe(2);
    expect(worker.output()).toContain('STREAM_COLLAB_METRICS: expected an IP address and port');
  });
});

describe('a worker with metrics and tracing on', () => {
  const taskQueue = unique('tq-obs');
  let dir: string;
  let collector: Awaited<ReturnType<typeof startCollector>>;
  let worker: WorkerProcess;
  let metricsUrl: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stream-collab-obs-'));
    await writeFile(join(dir, 'agents.yaml'), agentsYaml());
    collector = await startCollector();
    const metrics = `127.0.0.1:${await freePort()}`;
    metricsUrl = `http://${metrics}/metrics`;
    worker = spawnWorker({
      STREAM_COLLAB_TASK_QUEUE: taskQueue,
      AGENTS_FILE: join(dir, 'agents.yaml'),
      OUT_DIR: join(dir, 'out'),
      STREAM_COLLAB_METRICS: metrics,
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
    });
    // Its start-up lines can reach us in separate reads: wait for the last of those the test reads.
    await waitFor('the worker to poll and name its telemetry', () =>
      worker.output().includes('worker: OpenTelemetry traces to'),
    );
  });

  afterAll(async () => {
    stopGroup(worker);
    await worker.exited;
    await collector.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves Temporal metrics over HTTP and exports a span per chain and per handoff', async () => {
    expect(worker.output()).toContain(`Prometheus metrics on ${metricsUrl}`);
    expect(worker.output()).toContain(`OpenTelemetry traces to ${collector.url}/v1/traces`);

    // The client traces too, so the chain's trace starts at the start request.
    const tracing = await startTracing('observability-test', { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url });
    const connection = await Connection.connect({ address: inject('temporalAddress') });
    const client = new Client({
      connection,
      namespace: inject('temporalNamespace'),
      interceptors: { workflow: tracing?.clientInterceptors() ?? [] },
    });
    let workflowId: string;
    try {
      const started = await startChain(
        client,
        'schema-to-pipeline',
        { source_tables: ['raw_orders', 'raw_customers'], target_model: unique('fct_obs').replace('-', '_') },
        { taskQueue },
      );
      workflowId = started.workflowId;
      expect((await waitChain(started.handle)).status).toBe('COMPLETED');
    } finally {
      await connection.close();
      await tracing?.shutdown();
    }

    const scrape = async (): Promise<string> => (await fetch(metricsUrl)).text();
    const onQueue = (text: string, metric: string): string[] =>
      text.split('\n').filter((l) => l.startsWith(metric) && l.includes(`task_queue="${taskQueue}"`));
    const text = await eventually(scrape, (t) => onQueue(t, 'temporal_workflow_completed').length > 0);
    expect(onQueue(text, 'temporal_workflow_completed{')).toEqual([expect.stringMatching(/ 1$/)]);
    expect(onQueue(text, 'temporal_activity_execution_latency_bucket{').length).toBeGreaterThan(0);
    expect(onQueue(text, 'temporal_activity_execution_latency_count{')).toEqual([
      expect.stringMatching(/activity_type="deliverHandoff".* 2$/),
    ]);

    // The worker flushes its spans when it stops.
    stopGroup(worker);
    expect(await worker.exited).toBe(0);
    const spans = collector.spans;
    const chain = spans.find((s) => s.name === 'RunWorkflow:schemaToPipeline');
    expect(chain, spans.map((s) => s.name).join(', ')).toBeDefined();
    if (chain === undefined) return;
    expect(chain.service).toBe('stream-collab-worker');
    const start = spans.find((s) => s.name === 'StartWorkflow:schemaToPipeline');
    expect(start?.service).toBe('observability-test');
    expect(chain.parentSpanId).toBe(start?.spanId);

    const handoffs = spans
      .filter((s) => s.name === 'RunActivity:deliverHandoff')
      .sort((a, b) => Number(a.attributes['stream.step']) - Number(b.attributes['stream.step']));
    expect(handoffs.map((h) => h.attributes)).toEqual([
      expect.objectContaining({
        'stream.chain_id': workflowId,
        'stream.flow': 'schema-to-pipeline',
        'stream.step': 1,
        'stream.from': 'schema',
        'stream.to': 'stream',
      }),
      expect.objectContaining({ 'stream.chain_id': workflowId, 'stream.step': 2, 'stream.to': 'builder' }),
    ]);
    // Each handoff hangs off the chain: RunActivity ← StartActivity (in the workflow) ← RunWorkflow.
    for (const handoff of handoffs) {
      expect(handoff.traceId).toBe(chain.traceId);
      const scheduled = spans.find((s) => s.spanId === handoff.parentSpanId);
      expect(scheduled?.name).toBe('StartActivity:deliverHandoff');
      expect(scheduled?.parentSpanId).toBe(chain.spanId);
    }
  });
});

describe('a worker bundling its workflows from source', () => {
  it('adds the tracing interceptor modules to its own bundle', { timeout: 180_000 }, async () => {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    const spans = new InMemorySpanExporter();
    const tracing = await registerTracing(new SimpleSpanProcessor(spans), 'memory', 'source-worker');
    const taskQueue = unique('tq-obs-source');
    const dir = await mkdtemp(join(tmpdir(), 'stream-collab-obs-'));
    const native = await NativeConnection.connect({ address: inject('temporalAddress') });
    const connection = await Connection.connect({ address: inject('temporalAddress') });
    try {
      // No workflowBundle: from source (vitest runs .ts), so the worker bundles with the interceptor modules.
      const worker = await createWorker({
        connection: native,
        namespace: inject('temporalNamespace'),
        taskQueue,
        agents: new AgentRegistry(parseAgentsFile(agentsYaml(), 'agents.yaml')),
        outDir: dir,
        tracing,
      });
      const client = new Client({ connection, namespace: inject('temporalNamespace') });
      const outcome = await worker.runUntil(async () => {
        const started = await startChain(
          client,
          'analytics-pipeline',
          { metrics: [{ name: 'daily_revenue', grain: 'day', aggregation: 'sum(amount)' }] },
          { id: unique('obs-source'), taskQueue },
        );
        return waitChain(started.handle);
      });
      expect(outcome.status).toBe('COMPLETED');
      const finished = spans.getFinishedSpans();
      const chain = finished.find((s) => s.name === 'RunWorkflow:analyticsPipeline');
      expect(chain, finished.map((s) => s.name).join(', ')).toBeDefined();
      const handoffs = finished.filter((s) => s.name === 'RunActivity:deliverHandoff');
      expect(handoffs.map((h) => [h.attributes['stream.step'], h.attributes['stream.to']]).sort()).toEqual([
        [1, 'stream'],
        [2, 'schema'],
      ]);
      expect(new Set(handoffs.map((h) => h.spanContext().traceId))).toEqual(new Set([chain?.spanContext().traceId]));
    } finally {
      await connection.close();
      await native.close();
      await tracing.shutdown();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
