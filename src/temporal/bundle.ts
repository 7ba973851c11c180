import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FAILURE_CONVERTER_PATH } from './data-converter.js';

/** This file's extension: `.ts` when run from source (tsx, vitest), `.js` when run from `dist/`. */
const EXT = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

/** The workflows' entry point, next to this module (source or compiled). */
export const WORKFLOWS_PATH = fileURLToPath(new URL(`../workflows/index${EXT}`, import.meta.url));

/**
 * What a worker's workflow sandbox needs besides the workflows, which the sandbox cannot choose at run time (it
 * reads no environment), so each combination is a bundle of its own:
 * - `traced`: OpenTelemetry's workflow interceptors, which open a span for the chain and each activity it
 *   schedules. They cost every activation CPU and memory, which a worker without tracing should not pay. They add
 *   headers to commands, never commands, so a chain can move between traced and untraced workers.
 * - `encrypted`: the failure converter that moves failure messages into encoded attributes, so a codec key
 *   encrypts them too. Without a key they stay plain, where the Web UI's event list shows them.
 */
export interface BundleVariant {
  readonly traced: boolean;
  readonly encrypted: boolean;
}

const VARIANTS: readonly BundleVariant[] = [
  { traced: false, encrypted: false },
  { traced: true, encrypted: false },
  { traced: false, encrypted: true },
  { traced: true, encrypted: true },
];

/**
 * The bundle `npm run build` writes once per variant, so a worker started from `dist/` loads it instead of
 * bundling at every start (Temporal's `production` sample): `workflow-bundle[-traced][-encrypted].js`.
 */
export function bundlePath(variant: BundleVariant): string {
  const name = `workflow-bundle${variant.traced ? '-traced' : ''}${variant.encrypted ? '-encrypted' : ''}.js`;
  return fileURLToPath(new URL(`../${name}`, import.meta.url));
}

/** The plain bundle (no tracing, no key). */
export const WORKFLOW_BUNDLE_PATH = bundlePath({ traced: false, encrypted: false });

/** OpenTelemetry's workflow interceptor modules (see {@link BundleVariant}). */
export const WORKFLOW_INTERCEPTOR_MODULES: readonly string[] = [
  createRequire(import.meta.url).resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors'),
];

/** What `bundleWorkflowCode` is given for a variant. */
export function bundleOptions(variant: BundleVariant): {
  workflowsPath: string;
  workflowInterceptorModules: string[];
  failureConverterPath?: string;
} {
  return {
    workflowsPath: WORKFLOWS_PATH,
    workflowInterceptorModules: variant.traced ? [...WORKFLOW_INTERCEPTOR_MODULES] : [],
    ...(variant.encrypted ? { failureConverterPath: FAILURE_CONVERTER_PATH } : {}),
  };
}

/**
 * How a worker gets its workflows: the variant's prebuilt bundle if there is one, else bundled from source at
 * start (then the worker adds the interceptor modules itself, telemetry.ts, and the SDK bundles the data
 * converter's `failureConverterPath` in).
 */
export function workflowSource(
  variant: BundleVariant,
): { workflowBundle: { codePath: string } } | { workflowsPath: string } {
  const bundle = bundlePath(variant);
  return EXT === '.js' && existsSync(bundle)
    ? { workflowBundle: { codePath: bundle } }
    : { workflowsPath: WORKFLOWS_PATH };
}

/** Bundles the workflows (from wherever this module runs) in every variant and writes the bundles. */
export async function writeWorkflowBundles(): Promise<string[]> {
  const { bundleWorkflowCode } = await import('@temporalio/worker');
  const noop = (): void => undefined;
  const logger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: console.error };
  const written: string[] = [];
  for (const variant of VARIANTS) {
    const { code } = await bundleWorkflowCode({ ...bundleOptions(variant), logger });
    await writeFile(bundlePath(variant), code);
    written.push(bundlePath(variant));
  }
  return written;
}

// `node dist/temporal/bundle.js`: the build's last step.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const out of await writeWorkflowBundles()) console.log(`workflow bundle: ${out}`);
}
