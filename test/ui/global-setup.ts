import type { TestProject } from 'vitest/node';
import { startServer } from '../global-setup.js';

export { teardown } from '../global-setup.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalUiUrl: string;
  }
}

/** The same server and bundle as `npm test`, with the Temporal Web UI, which the browser tests open. */
export async function setup(project: TestProject): Promise<void> {
  const server = await startServer(project, { ui: true });
  if (server.uiUrl === undefined) {
    throw new Error(
      `the browser tests need the Temporal Web UI: with TEMPORAL_ADDRESS (${server.target.connection.address}) set, set TEMPORAL_UI_URL too`,
    );
  }
  project.provide('temporalUiUrl', server.uiUrl);
}
