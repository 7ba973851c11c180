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

/** The same workflows with the tracing interceptors compiled in, loaded by a worker that exports traces. */
export const TRACED_WORKFLOW_BUNDLE_PATH = fileURLToPath(new URL('../workflow-bundle-traced.js', import.meta.url));

/**
 * Workflow interceptor modules of the traced bundle: OpenTelemetry's, which open a span for the chain and for each
 * activity it schedules, pass it on in the activity's headers and hand finished spans to the worker's `exporter`
 * sink (telemetry.ts). They live in a bundle of their own because they cost every workflow activation CPU and
 * memory, which a worker without tracing should not pay. They add headers to commands, never commands, so a chain
 * can move between traced and untraced workers.
 */
export const WORKFLOW_INTERCEPTOR_MODULES: readonly string[] = [
  createRequire(import.meta.url).resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors'),
];

/** What `bundleWorkflowCode` is given for the plain or the traced bundle. */
export function bundleOptions(traced: boolean): { workflowsPath: string; workflowInterceptorModules: string[] } {
  return { workflowsPath: WORKFLOWS_PATH, workflowInterceptorModules: traced ? [...WORKFLOW_INTERCEPTOR_MODULES] : [] };
}

/**
 * How a worker gets its workflows: the prebuilt bundle (traced or not) if there is one, else bundled from source
 * at start, in which case the worker adds the tracing interceptor modules itself (telemetry.ts).
 */
export function workflowSource(traced = false): { workflowBundle: { codePath: string } } | { workflowsPath: string } {
  const bundle = traced ? TRACED_WORKFLOW_BUNDLE_PATH : WORKFLOW_BUNDLE_PATH;
  return EXT === '.js' && existsSync(bundle)
    ? { workflowBundle: { codePath: bundle } }
    : { workflowsPath: WORKFLOWS_PATH };
}

/** Bundles the workflows (from wherever this module runs), plain and traced, and writes both bundles. */
export async function writeWorkflowBundles(): Promise<string[]> {
  const { bundleWorkflowCode } = await import('@temporalio/worker');
  const noop = (): void => undefined;
  const logger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: console.error };
  const written: string[] = [];
  const variants: readonly (readonly [string, boolean])[] = [
    [WORKFLOW_BUNDLE_PATH, false],
    [TRACED_WORKFLOW_BUNDLE_PATH, true],
  ];
  for (const [out, traced] of variants) {
    const { code } = await bundleWorkflowCode({ ...bundleOptions(traced), logger });
    await writeFile(out, code);
    written.push(out);
  }
  return written;
}

// `node dist/temporal/bundle.js`: the build's last step.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const out of await writeWorkflowBundles()) console.log(`workflow bundle: ${out}`);
}
