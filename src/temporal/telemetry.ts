import { isIP } from 'node:net';
import { trace, type Tracer } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type { OpenTelemetryActivityInboundInterceptor } from '@temporalio/interceptors-opentelemetry';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, Next, WorkerOptions } from '@temporalio/worker';
import { field } from '../field.js';
import { WORKFLOW_INTERCEPTOR_MODULES } from './bundle.js';

/**
 * Observability, off by default. Metrics come from the SDK's Rust core (task latencies, poll counts,
 * workflow/activity outcomes) on a Prometheus endpoint; traces come from `@temporalio/interceptors-opentelemetry`
 * (a span per chain, per handoff, per client start) exported over OTLP/HTTP. Neither adds workflow commands, so
 * turning them on or off is safe for chains in flight. The OpenTelemetry SDK and the worker runtime are imported
 * only when asked for: a worker without tracing, and a client script, do not load them.
 */

/** The env var naming the Prometheus endpoint's `ip:port`, e.g. `127.0.0.1:9464` (`0.0.0.0:9464` in a container). */
export const METRICS_ENV = 'STREAM_COLLAB_METRICS';

/** A telemetry setting from the environment that cannot be used: exit 2, nothing started. */
export class TelemetryConfigError extends Error {
  override name = 'TelemetryConfigError';
}

/** The Prometheus bind address from STREAM_COLLAB_METRICS, or undefined when metrics are off (unset or empty). */
export function metricsAddressFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[METRICS_ENV]?.trim();
  if (value === undefined || value === '') return undefined;
  const match = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(value);
  const host = match?.[1] ?? '';
  const port = Number(match?.[2]);
  // The core binds a socket address, not a host name: `localhost:9464` would fail deep inside the runtime.
  if (match === null || isIP(host) === 0 || port > 65535) {
    throw new TelemetryConfigError(
      `${METRICS_ENV}: expected an IP address and port such as 127.0.0.1:9464 or 0.0.0.0:9464, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/**
 * Installs the process's Temporal runtime, once, with what the environment asks for: a Prometheus endpoint when
 * STREAM_COLLAB_METRICS is set, and a log that keeps failure messages out (`redact`, when a codec key encrypts
 * them in history; see redacting-logger.ts). The runtime is process-global and must be installed before the first
 * connection; with neither, the SDK's default runtime is left to install itself. Returns the metrics address.
 */
export async function installRuntime(
  env: NodeJS.ProcessEnv = process.env,
  redact = false,
): Promise<string | undefined> {
  const bindAddress = metricsAddressFromEnv(env);
  if (bindAddress === undefined && !redact) return undefined;
  const { DefaultLogger, Runtime } = await import('@temporalio/worker');
  const { RedactingLogger } = await import('./redacting-logger.js');
  Runtime.install({
    ...(redact ? { logger: new RedactingLogger(new DefaultLogger('INFO')) } : {}),
    ...(bindAddress !== undefined ? { telemetryOptions: { metrics: { prometheus: { bindAddress } } } } : {}),
  });
  return bindAddress;
}

/** The worker options tracing needs: merged into `Worker.create` by worker.ts. */
export type WorkerTelemetryOptions = Pick<WorkerOptions, 'sinks' | 'interceptors'>;

/** A registered tracer provider and what the worker and clients need from it; `shutdown()` flushes what is buffered. */
export interface Tracing {
  readonly tracer: Tracer;
  readonly resource: Resource;
  readonly spanProcessor: SpanProcessor;
  /** Where spans go (the OTLP/HTTP traces URL). */
  readonly url: string;
  /**
   * Activity interceptors that run each handoff in a span (a child of the workflow's span, through the
   * activity's headers) labelled with the handoff, and the sink the workflow interceptors export their spans
   * through. A prebuilt traced bundle holds the workflow interceptors (bundle.ts); a worker that bundles from
   * source (`workflowsPath`) is given their modules here.
   */
  workerOptions(prebuilt: boolean): WorkerTelemetryOptions;
  /** Starts a span for each workflow start, signal and query, passed on in the workflow's headers. */
  clientInterceptors(): WorkflowClientInterceptor[];
  shutdown(): Promise<void>;
}

/**
 * The OTLP/HTTP traces URL from the standard OpenTelemetry variables: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as
 * given, else OTEL_EXPORTER_OTLP_ENDPOINT + `/v1/traces`. Undefined (tracing off) when neither is set, or when
 * OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none.
 */
export function tracesUrlFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return undefined;
  if (env.OTEL_TRACES_EXPORTER?.trim().toLowerCase() === 'none') return undefined;
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  if (traces !== undefined && traces !== '') return checkedUrl(traces, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (base === undefined || base === '') return undefined;
  return checkedUrl(`${base.replace(/\/+$/, '')}/v1/traces`, 'OTEL_EXPORTER_OTLP_ENDPOINT');
}

function checkedUrl(url: string, name: string): string {
  if (URL.canParse(url) && /^https?:$/.test(new URL(url).protocol)) return url;
  throw new TelemetryConfigError(
    `${name}: expected an http(s) URL such as http://127.0.0.1:4318, got ${JSON.stringify(url)}`,
  );
}

/**
 * Starts tracing for this process when the OTLP variables configure it, else returns undefined. The provider is
 * registered globally with an async-local context manager and the W3C propagator, so the interceptors carry the
 * trace from a client's start through the workflow into each handoff's activity (and anything it calls).
 */
export async function startTracing(
  serviceName: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Tracing | undefined> {
  const url = tracesUrlFromEnv(env);
  if (url === undefined) return undefined;
  const [{ BatchSpanProcessor }, { OTLPTraceExporter }] = await Promise.all([
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/exporter-trace-otlp-http'),
  ]);
  return registerTracing(new BatchSpanProcessor(new OTLPTraceExporter({ url })), url, serviceName, env);
}

/**
 * Tracing through any span processor, registered as {@link startTracing} registers it: what startTracing builds on,
 * and how a test collects spans in memory. `destination` says where spans go, for logs.
 */
export async function registerTracing(
  spanProcessor: SpanProcessor,
  destination: string,
  serviceName: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Tracing> {
  const [api, { AsyncLocalStorageContextManager }, { envDetectorSync, Resource }, { BasicTracerProvider }, otel] =
    await Promise.all([
      import('@opentelemetry/api'),
      import('@opentelemetry/context-async-hooks'),
      import('@opentelemetry/resources'),
      import('@opentelemetry/sdk-trace-base'),
      import('@temporalio/interceptors-opentelemetry'),
    ]);
  const resource = Resource.default()
    .merge(new Resource({ 'service.name': serviceName }))
    .merge(envDetectorSync.detect())
    .merge(env.OTEL_SERVICE_NAME ? new Resource({ 'service.name': env.OTEL_SERVICE_NAME }) : Resource.empty());
  const provider = new BasicTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register({ contextManager: new AsyncLocalStorageContextManager().enable() });
  const tracer = provider.getTracer('stream-collab');
  return {
    tracer,
    resource,
    spanProcessor,
    url: destination,
    workerOptions: (prebuilt) => ({
      sinks: { exporter: otel.makeWorkflowExporter(spanProcessor, resource) },
      interceptors: {
        workflowModules: prebuilt ? [] : [...WORKFLOW_INTERCEPTOR_MODULES],
        activity: [
          (ctx) => ({
            inbound: new HandoffSpanAttributes(new otel.OpenTelemetryActivityInboundInterceptor(ctx, { tracer })),
            outbound: new otel.OpenTelemetryActivityOutboundInterceptor(ctx),
          }),
        ],
      },
    }),
    clientInterceptors: () => [new otel.OpenTelemetryWorkflowClientInterceptor({ tracer })],
    async shutdown() {
      await provider.shutdown();
      api.trace.disable();
      api.context.disable();
      api.propagation.disable();
    },
  };
}

/** What worker.ts merges into `Worker.create`: nothing without tracing. */
export function workerTelemetryOptions(tracing: Tracing | undefined, prebuilt: boolean): WorkerTelemetryOptions {
  return tracing?.workerOptions(prebuilt) ?? {};
}

/** The handoff fields a span is labelled with, so a trace backend finds a handoff by chain, flow or step. */
const HANDOFF_ATTRIBUTES = ['chainId', 'flow', 'step', 'from', 'to', 'partition'] as const;

/**
 * Runs inside the OpenTelemetry activity span and labels it with the handoff it delivers (`stream.chain_id`,
 * `stream.step`, `stream.from`, …), read from the activity's first argument when it is a handoff request.
 */
class HandoffSpanAttributes implements ActivityInboundCallsInterceptor {
  constructor(private readonly otel: OpenTelemetryActivityInboundInterceptor) {}

  execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    return this.otel.execute(input, (inner) => {
      const span = trace.getActiveSpan();
      const [request] = inner.args;
      for (const key of HANDOFF_ATTRIBUTES) {
        const value = field(request, key);
        if (typeof value === 'string' || typeof value === 'number') span?.setAttribute(`stream.${snake(key)}`, value);
      }
      return next(inner);
    });
  }
}

function snake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
