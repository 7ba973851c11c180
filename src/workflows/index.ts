/**
 * Every export of this file is a workflow type registered with the worker: export workflows only.
 * Workflow code is replayed from history, so a change that alters the commands a running chain issues must
 * be guarded with `patched()`; the committed histories in test/fixtures catch a change that is not.
 */
export { schemaToPipeline } from './schema-to-pipeline.js';
export { analyticsPipeline } from './analytics-pipeline.js';
export { pipelineVisualization } from './pipeline-visualization.js';
export { pipelineTesting } from './pipeline-testing.js';
export { costAwarePipeline } from './cost-aware-pipeline.js';
export { warehouseEtl } from './warehouse-etl.js';
export { backfill } from './backfill.js';
export { scheduledChain } from './scheduled-chain.js';
export { orderAggregate } from './order-aggregate.js';
export { projection } from './projection.js';
export { projectionRebuild } from './projection-rebuild.js';
