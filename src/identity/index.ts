/**
 * Every name by which Temporal, and the people and scripts around it, know this service's work: the task
 * queue, workflow ids (built and parsed), search attributes, failure types with their retryability, and the
 * partition scheme. Worker, CLI, workflows and tests import them from here only. Workflows import this module,
 * so it stays inside the sandbox (no Node built-ins; the lint rule checks). Renaming anything here strands
 * runs already in flight or recorded under the old name: treat it as a public interface.
 */
export * from './names.js';
export * from './workflow-ids.js';
export * from './search-attributes.js';
export * from './failures.js';
export * from './partitions.js';
