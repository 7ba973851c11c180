/**
 * Names shared by the worker, the CLI and the tests. Changing one strands what already runs under the old
 * name (a renamed task queue has no worker), so treat them as a public interface.
 */
export const TASK_QUEUE = 'stream-collab';
export const DEFAULT_NAMESPACE = 'default';
export const DEFAULT_ADDRESS = 'localhost:7233';
export const DEFAULT_AGENTS_FILE = 'agents.yaml';
export const DEFAULT_OUT_DIR = 'out';
