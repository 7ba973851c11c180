import { bundleWorkflowCode, DefaultLogger, type Worker } from '@temporalio/worker';
import { parseAgentsFile } from '../src/agents/config.js';
import { AgentRegistry } from '../src/agents/registry.js';
import { bundleOptions } from '../src/temporal/bundle.js';
import { createWorker, type WorkerDeps } from '../src/worker.js';
import { AGENTS_YAML } from './replies.js';

/** Our worker as a benchmark runs it: the bench's agents.yaml and the plain workflow bundle (no tracing, no key). */
export async function benchWorker(deps: Omit<WorkerDeps, 'agents' | 'workflowBundle'>): Promise<Worker> {
  return createWorker({
    ...deps,
    agents: new AgentRegistry(parseAgentsFile(AGENTS_YAML, 'bench agents.yaml')),
    workflowBundle: await bundleWorkflowCode({
      ...bundleOptions({ traced: false, encrypted: false }),
      logger: new DefaultLogger('WARN'),
    }),
  });
}
