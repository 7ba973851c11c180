/**
 * Every export of this file is a workflow type registered with the worker: export workflows only.
 * Workflow code is replayed from history, so a change that alters the commands a running chain issues must
 * be guarded with `patched()`; the committed histories in test/fixtures catch a change that is not.
 */
export { schemaToPipeline } from './schema-to-pipeline';
export { analyticsPipeline } from './analytics-pipeline';
export { pipelineVisualization } from './pipeline-visualization';
export { pipelineTesting } from './pipeline-testing';
export { costAwarePipeline } from './cost-aware-pipeline';
export { backfill } from './backfill';
