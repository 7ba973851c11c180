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
    workflowsPath: WORKFLOWS_PATH,
    failureConverterPath: FAILURE_CONVERTER_PATH,
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
