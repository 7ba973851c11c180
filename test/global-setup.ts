import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { bundleOptions } from '../src/temporal/bundle.js';
import { codecConfigFromEnv } from '../src/temporal/data-converter.js';
import { resolveServer, type ResolvedServer } from '../src/temporal/devserver.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalNamespace: string;
    workflowBundlePath: string;
  }
}

let server: ResolvedServer | undefined;
let dir: string | undefined;

/**
 * Starts ONE dev server (or uses TEMPORAL_ADDRESS) and bundles the workflows once. If no server can be
 * had, the whole run fails here with the resolver's explanation: no test is silently skipped.
 */
export async function setup(project: TestProject): Promise<void> {
  await startServer(project, {});
}

/** The setup of both test runs; the browser tests (test/ui) ask for the Web UI too. */
export async function startServer(project: TestProject, options: { ui?: boolean }): Promise<ResolvedServer> {
  server = await resolveServer({ ...options, log: (line) => console.log(`[global-setup] ${line}`) });
  dir = await mkdtemp(join(tmpdir(), 'stream-collab-test-'));
  const bundle = await bundleWorkflowCode({
    // As the worker picks its bundle: failures encoded in the sandbox only when the run has a codec key.
    ...bundleOptions({ traced: false, encrypted: codecConfigFromEnv().keys.length > 0 }),
    logger: quietLogger,
  });
  const bundlePath = join(dir, 'workflow-bundle.js');
  await writeFile(bundlePath, bundle.code);
  project.provide('temporalAddress', server.target.connection.address);
  project.provide('temporalNamespace', server.target.namespace);
  project.provide('workflowBundlePath', bundlePath);
  return server;
}

export async function teardown(): Promise<void> {
  await server?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
}

const noop = (): void => undefined;
const quietLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: console.error };
