import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** This file's extension: `.ts` when run from source (tsx, vitest), `.js` when run from `dist/`. */
const EXT = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

/** The workflows' entry point, next to this module (source or compiled). */
export const WORKFLOWS_PATH = fileURLToPath(new URL(`../workflows/index${EXT}`, import.meta.url));

/**
 * The workflow bundle `npm run build` writes once, so a worker started from `dist/` loads it instead of
 * bundling at every start (Temporal's `production` sample). Absent when running from source.
 */
export const WORKFLOW_BUNDLE_PATH = fileURLToPath(new URL('../workflow-bundle.js', import.meta.url));

/**
 * Workflow interceptor modules compiled into the bundle: OpenTelemetry's, which trace each chain and each
 * activity it schedules and hand their spans to the worker's `exporter` sink (which drops them unless tracing is
 * configured, see telemetry.ts). They add headers to commands, never commands, so histories recorded without
 * them replay.
 */
export const WORKFLOW_INTERCEPTOR_MODULES: readonly string[] = [
  createRequire(import.meta.url).resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors'),
];

/** What `bundleWorkflowCode` is given, here, in the tests and in the benchmarks: one bundle, whoever builds it. */
export function bundleOptions(): { workflowsPath: string; workflowInterceptorModules: string[] } {
  return { workflowsPath: WORKFLOWS_PATH, workflowInterceptorModules: [...WORKFLOW_INTERCEPTOR_MODULES] };
}

/** How a worker gets its workflows: the prebuilt bundle if there is one, else bundled from source at start. */
export function workflowSource(): { workflowBundle: { codePath: string } } | { workflowsPath: string } {
  return EXT === '.js' && existsSync(WORKFLOW_BUNDLE_PATH)
    ? { workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH } }
    : { workflowsPath: WORKFLOWS_PATH };
}

/** Bundles the workflows (from wherever this module runs) and writes the bundle to `out`. */
export async function writeWorkflowBundle(out: string = WORKFLOW_BUNDLE_PATH): Promise<string> {
  const { bundleWorkflowCode } = await import('@temporalio/worker');
  const noop = (): void => undefined;
  const { code } = await bundleWorkflowCode({
    ...bundleOptions(),
    logger: { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: console.error },
  });
  await writeFile(out, code);
  return out;
}

// `node dist/temporal/bundle.js`: the build's last step.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = await writeWorkflowBundle();
  console.log(`workflow bundle: ${out}`);
}
