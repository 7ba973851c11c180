import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FAILURE_CONVERTER_PATH } from './data-converter.js';

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
 * The same workflows with the failure converter that moves messages into encoded attributes: what a worker with
 * a codec key loads. The sandbox cannot read the environment, so the choice is made by picking the bundle.
 */
export const ENCRYPTED_WORKFLOW_BUNDLE_PATH = fileURLToPath(
  new URL('../workflow-bundle-encrypted.js', import.meta.url),
);

/**
 * How a worker gets its workflows: the prebuilt bundle if there is one, else bundled from source at start (the
 * SDK then bundles the data converter's `failureConverterPath` in).
 */
export function workflowSource(
  encrypted: boolean,
): { workflowBundle: { codePath: string } } | { workflowsPath: string } {
  const bundle = encrypted ? ENCRYPTED_WORKFLOW_BUNDLE_PATH : WORKFLOW_BUNDLE_PATH;
  return EXT === '.js' && existsSync(bundle)
    ? { workflowBundle: { codePath: bundle } }
    : { workflowsPath: WORKFLOWS_PATH };
}

/** Bundles the workflows (from wherever this module runs) and writes the bundle to `out`. */
export async function writeWorkflowBundle(
  out: string = WORKFLOW_BUNDLE_PATH,
  options: { encodeFailures?: boolean } = {},
): Promise<string> {
  const { bundleWorkflowCode } = await import('@temporalio/worker');
  const noop = (): void => undefined;
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    ...(options.encodeFailures === true ? { failureConverterPath: FAILURE_CONVERTER_PATH } : {}),
    logger: { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: console.error },
  });
  await writeFile(out, code);
  return out;
}

// `node dist/temporal/bundle.js`: the build's last step.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = await writeWorkflowBundle();
  const encrypted = await writeWorkflowBundle(ENCRYPTED_WORKFLOW_BUNDLE_PATH, { encodeFailures: true });
  console.log(`workflow bundles: ${out}, ${encrypted}`);
}
