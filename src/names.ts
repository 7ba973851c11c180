import type { FlowName } from './flows.js';

/**
 * Names shared by the worker, the CLI and the tests. Changing one strands what already runs under the old
 * name (a renamed task queue has no worker), so treat them as a public interface.
 */
export const TASK_QUEUE = 'stream-collab';
export const DEFAULT_NAMESPACE = 'default';
export const DEFAULT_ADDRESS = 'localhost:7233';
export const DEFAULT_AGENTS_FILE = 'agents.yaml';
export const DEFAULT_OUT_DIR = 'out';

/**
 * A chain's workflow id is a business key: flow, subject (what the chain is about), partition if any, and a
 * digest of the input, so the same request maps to the same id and a duplicate start attaches to the
 * running chain instead of doing the work twice.
 */
export function chainWorkflowId(flow: FlowName, subject: string, digest: string, partition?: string): string {
  const parts = [flow, subject];
  if (partition !== undefined) parts.push(partition);
  parts.push(digest);
  return parts.join('/');
}
